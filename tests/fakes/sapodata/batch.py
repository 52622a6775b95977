"""`$batch` bodies of the fake SAP service: multipart/mixed requests in, multipart/mixed answers out.

Follows OData V2 "Batch Processing" (https://www.odata.org/documentation/odata-version-2-0/batch-processing/):
a batch is a multipart/mixed body whose parts are either one query (`application/http`) or a
change set (a nested multipart/mixed of `application/http` operations, applied all or nothing).
The answer is 202 with a multipart/mixed body, one part per request part in order: a change set
answers a nested multipart of each operation's HTTP response, or, when an operation failed, the
single error response of the failed operation (the change set is rolled back).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Part:
    """A batch part: one query, or a change set of operations."""

    operations: list[Operation] = field(default_factory=list)
    changeset: bool = False


def boundary_of(content_type: str) -> str | None:
    for piece in content_type.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    return None


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk.strip(b"\r\n") if chunk.strip() else b"")
    return parts


def _headers_and_body(block: bytes) -> tuple[dict[str, str], bytes]:
    head, _, rest = block.replace(b"\r\n", b"\n").partition(b"\n\n")
    headers = {}
    for line in head.decode("utf-8").split("\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _operation(block: bytes) -> Operation:
    _, inner = _headers_and_body(block)  # the part's MIME headers
    head, _, body = inner.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    method, url, _ = [*lines[0].split(" ", 2), "", ""][:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Operation(method.upper(), url, headers, body.strip(b"\n"))


def parse(body: bytes, content_type: str) -> list[Part]:
    """The parts of a batch request; `ValueError` when the body is not a batch."""
    boundary = boundary_of(content_type)
    if not content_type.lower().startswith("multipart/mixed") or not boundary:
        raise ValueError("The batch request has no multipart/mixed boundary")
    parts = []
    for block in _split(body, boundary):
        headers, rest = _headers_and_body(block)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            inner = boundary_of(kind)
            if not inner:
                raise ValueError("A change set has no boundary")
            parts.append(Part([_operation(b) for b in _split(rest, inner)], changeset=True))
        elif kind.lower().startswith("application/http"):
            parts.append(Part([_operation(block)]))
        else:
            raise ValueError(f"Unexpected batch part content type '{kind}'")
    return parts


@dataclass
class Reply:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def _http(reply: Reply) -> bytes:
    head = [f"HTTP/1.1 {reply.status} {reply.reason}", *(f"{k}: {v}" for k, v in reply.headers.items()),
            f"Content-Length: {len(reply.body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body


def compose(results: list[tuple[Part, list[Reply]]]) -> tuple[bytes, str]:
    """The batch answer body and its content type."""
    outer = f"batch_{secrets.token_hex(8)}"
    out = bytearray()
    for part, replies in results:
        out += f"--{outer}\r\n".encode()
        if part.changeset and not (len(replies) == 1 and replies[0].status >= 400):
            inner = f"changeset_{secrets.token_hex(8)}"
            out += f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n".encode()
            for reply in replies:
                out += (f"--{inner}\r\nContent-Type: application/http\r\n"
                        "Content-Transfer-Encoding: binary\r\n\r\n").encode()
                out += _http(reply) + b"\r\n"
            out += f"--{inner}--\r\n".encode()
        else:
            out += b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            out += _http(replies[0]) + b"\r\n"
    out += f"--{outer}--\r\n".encode()
    return bytes(out), f"multipart/mixed; boundary={outer}"
