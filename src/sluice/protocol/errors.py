"""Protocol-level errors (protocol layer).

`ProtocolError` is what the protocol layer raises for anything wrong with the request itself:
a bad signature, an unknown route, a body that is not JSON, a value the model rejects. It carries
the AWS error code and HTTP status; `serializer.serialize_error` turns it into the wire form.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """An error detected before the request reaches the service layer."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> ProtocolError:
    """A 400 ValidationException."""
    return ProtocolError("ValidationException", message, 400)


def serialization_error(message: str) -> ProtocolError:
    """A 400 SerializationException (the body could not be read as the operation's input)."""
    return ProtocolError("SerializationException", message, 400)


def unknown_operation(method: str, path: str) -> ProtocolError:
    """A 404 UnknownOperationException for a method and path no operation has."""
    return ProtocolError("UnknownOperationException", f"No AppFlow operation answers {method} {path}", 404)
