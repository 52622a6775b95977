"""OData `$batch` bodies (connectors layer, SAP OData): change sets out, per-operation answers in.

OData V2 "Batch Processing" (https://www.odata.org/documentation/odata-version-2-0/batch-processing/)
and V4 Part 1, 11.7: a `multipart/mixed` request whose parts are change sets (nested
`multipart/mixed`), each holding `application/http` operations applied all or nothing. Sluice
puts one record in each change set, so one refused record rolls back only itself and every
record gets its own outcome. The answer has one part per change set, in order: a nested
multipart with the operation's HTTP response, or - when the change set failed - that single
error response.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Operation:
    """One request inside a change set: method, URL relative to the service root, JSON body."""

    method: str
    url: str
    body: Any = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One change set's answer: its HTTP status and body (parsed JSON, or text)."""

    status: int
    body: Any
    headers: dict[str, str]


def request_body(operations: Sequence[Operation]) -> tuple[bytes, str]:
    """The `$batch` body with each operation in its own change set, and its content type."""
    batch = f"batch_{uuid.uuid4()}"
    out = bytearray()
    for index, operation in enumerate(operations, start=1):
        changeset = f"changeset_{uuid.uuid4()}"
        out += f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n".encode()
        payload = orjson.dumps(operation.body) if operation.body is not None else b""
        out += (f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                f"Content-ID: {index}\r\n\r\n"
                f"{operation.method} {operation.url} HTTP/1.1\r\nContent-Type: application/json\r\n"
                f"Accept: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        out += payload + f"\r\n--{changeset}--\r\n".encode()
    out += f"--{batch}--\r\n".encode()
    return bytes(out), f"multipart/mixed; boundary={batch}"


def _boundary(content_type: str) -> str | None:
    for piece in content_type.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"')
    return None


def _parts(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk.lstrip(b"\r\n"))
    return parts


def _split_head(block: bytes) -> tuple[dict[str, str], bytes]:
    normalized = block.replace(b"\r\n", b"\n")
    head, _, rest = normalized.partition(b"\n\n")
    headers = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _http_response(block: bytes) -> Outcome:
    """An `application/http` part's embedded response."""
    _, inner = _split_head(block)  # the part's MIME headers
    status_line, _, rest = inner.partition(b"\n")
    words = status_line.decode("utf-8", "replace").split(" ", 2)
    status = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
    headers, payload = _split_head(rest)
    payload = payload.strip()
    parsed: Any = None
    if payload:
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            parsed = payload.decode("utf-8", "replace")
    return Outcome(status, parsed, headers)


def parse_answer(body: bytes, content_type: str, expected: int) -> list[Outcome]:
    """One outcome per change set of a `$batch` answer; `ValueError` when it is not one."""
    boundary = _boundary(content_type)
    if not boundary or not content_type.lower().startswith("multipart/mixed"):
        raise ValueError("the $batch answer is not multipart/mixed")
    outcomes = []
    for part in _parts(body, boundary):
        headers, rest = _split_head(part)
        kind = headers.get("content-type", "").lower()
        if kind.startswith("multipart/mixed"):
            inner = _boundary(headers["content-type"])
            responses = [_http_response(p) for p in _parts(rest, inner or "")]
            if not responses:
                raise ValueError("a change set answer holds no response")
            # One operation per change set: its response is the record's outcome.
            outcomes.append(responses[0])
        else:
            outcomes.append(_http_response(part))
    if len(outcomes) != expected:
        raise ValueError(f"the $batch answer holds {len(outcomes)} change set answers for {expected} change sets")
    return outcomes
