"""Operation result / error -> REST-JSON response (protocol layer).

`serialize_output` writes a handler's result dict through the operation's output shape: only
modelled members, `None` omitted, timestamps as epoch seconds, nested values recursively.
`serialize_error` writes the AWS REST-JSON error form that botocore maps back to the modelled
exception: an `x-amzn-ErrorType` header and a `{"message": ...}` body.

Responses are `(status, headers, body)` with ASGI byte headers (names lower-cased, as ASGI
asks). Every response also needs `request_id_header(...)`, which the caller adds: the request id
lives in the RequestContext.
Each output shape is compiled once into nested closures, so a request is a plain dict walk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from email.utils import format_datetime
from functools import cache
from typing import Any

from botocore.model import OperationModel, Shape

Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]

_JSON_CONTENT_TYPE = (b"content-type", b"application/json")
_Writer = Callable[[Any], Any]


def request_id_header(request_id: str) -> tuple[bytes, bytes]:
    """The `x-amzn-RequestId` header every response carries."""
    return (b"x-amzn-requestid", request_id.encode("latin-1"))


def serialize_output(op: OperationModel, result: dict[str, Any]) -> Response:
    """Status 200 (or a modelled `statusCode` member), headers and JSON body for `result`."""
    plan = _plan(op)
    status = 200
    headers: Headers = [_JSON_CONTENT_TYPE]
    if plan is None:
        return status, headers, b"{}"
    writer, located = plan
    if located:
        result = dict(result)
        for name, location, wire, shape in located:
            value = result.pop(name, None)
            if value is None:
                continue
            if location == "statusCode":
                status = int(value)
            elif location == "header":
                headers.append((wire.lower().encode("latin-1"), _header_text(shape, value).encode("latin-1")))
            elif location == "headers":
                headers.extend(
                    ((wire + k).lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in value.items()
                )
    body = writer(result)
    return status, headers, json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def serialize_error(code: str, message: str, status: int, request_id: str) -> Response:
    """The AWS error response for `code` (e.g. "ValidationException").

    REST-JSON clients read the code from `x-amzn-ErrorType`; JSON 1.1 clients (Secrets Manager,
    answered for custom connectors) read `__type` from the body, so both carry it.
    """
    body = json.dumps({"__type": code, "message": message}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers: Headers = [
        (b"x-amzn-errortype", code.encode("latin-1")),
        request_id_header(request_id),
        _JSON_CONTENT_TYPE,
    ]
    return status, headers, body


# ---------------------------------------------------------------------------------------------
# Compiling output shapes into writers

_Located = tuple[str, str, str, Shape]

# Sluice extensions: extra members written as given (JSON) into a modelled structure. botocore
# drops members its model does not name, so AWS clients are unaffected; Sluice's CLI reads them.
EXTENSION_MEMBERS: dict[str, tuple[str, ...]] = {"ExecutionRecord": ("sluiceRunDetails",)}


@cache
def _plan(op: OperationModel) -> tuple[_Writer, tuple[_Located, ...]] | None:
    shape = op.output_shape
    if shape is None:
        return None
    located = tuple(
        (name, member.serialization["location"], member.serialization.get("name", name), member)
        for name, member in shape.members.items()
        if member.serialization.get("location")
    )
    payload = shape.serialization.get("payload")
    if payload is not None:
        inner = _writer(shape.members[payload], {})
        return (lambda result: inner(result.get(payload) or {})), located
    return _writer(shape, {}), located


def _writer(shape: Shape, seen: dict[str, _Writer]) -> _Writer:
    """A function turning a value of `shape` into its JSON form; `seen` ties recursive shapes."""
    kind = shape.type_name
    if kind == "structure":
        if shape.name in seen:
            return seen[shape.name]
        members: dict[str, tuple[str, _Writer | None]] = {}

        def write_structure(value: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, item in value.items():
                plan = members.get(name)
                if plan is None or item is None:
                    continue
                wire, write = plan
                out[wire] = item if write is None else write(item)
            return out

        seen[shape.name] = write_structure
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue
            members[name] = (member.serialization.get("name", name), _scalar_or(member, seen))
        for name in EXTENSION_MEMBERS.get(shape.name, ()):
            members[name] = (name, None)
        return write_structure
    if kind == "list":
        write_item = _scalar_or(shape.member, seen)
        if write_item is None:
            return list
        return lambda value: [None if v is None else write_item(v) for v in value]
    if kind == "map":
        write_value = _scalar_or(shape.value, seen)
        if write_value is None:
            return dict
        return lambda value: {k: None if v is None else write_value(v) for k, v in value.items()}
    if kind == "timestamp":
        return _epoch_seconds
    return _identity


def _scalar_or(shape: Shape, seen: dict[str, _Writer]) -> _Writer | None:
    """None for shapes whose values pass through unchanged (the fast path), else a writer."""
    if shape.type_name in ("structure", "list", "map", "timestamp"):
        return _writer(shape, seen)
    return None


def _identity(value: Any) -> Any:
    return value


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # naive datetimes in Sluice are UTC
        return round(value.timestamp(), 3)
    return float(value)


def _header_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp" and isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value.astimezone(dt.UTC), usegmt=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
