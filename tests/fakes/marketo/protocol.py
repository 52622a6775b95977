"""How every REST call of the fake is received and answered: logging, limits, the access token, the envelope.

Marketo answers REST calls with HTTP 200 and `{"requestId", "success", "result", ...}`; failures are
response-level `errors: [{code, message}]`, still HTTP 200 (Error Codes page). Only 413 (body > 1 MB) and
414 (URI > 8 KB) are HTTP-level. The token comes in `Authorization: Bearer` (the `access_token` query
parameter stopped being accepted on 2026-08-31, per the Authentication page).

A GET may arrive as a form POST with `_method=GET` (Leads page, 414 workaround): `params()` reads both.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .state import HttpError, MarketoError, MarketoState, request_id

Handler = Callable[[Request, dict[str, str]], Awaitable[Any]]

MAX_URI = 8 * 1024
MAX_BODY = 1024 * 1024


def ok(result: list | None = None, **extra: Any) -> dict:
    """A successful envelope."""
    body: dict = {"requestId": request_id(), "success": True}
    if result is not None:
        body["result"] = result
    body.update(extra)
    return body


def error_response(exc: MarketoError) -> JSONResponse:
    """A response-level error: HTTP 200."""
    return JSONResponse({"requestId": request_id(), "success": False,
                         "errors": [{"code": exc.code, "message": exc.message}]})


def http_error_response(exc: HttpError) -> JSONResponse:
    """An HTTP-level error with its own status and headers."""
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


async def params(request: Request) -> dict[str, str]:
    """Query parameters, plus the form body of a `_method=GET` POST; repeated keys joined with commas."""
    # A repeated parameter is a list, like a comma-separated one (the Paging Tokens page sends
    # `activityTypeIds=1&activityTypeIds=12`).
    merged = {k: ",".join(request.query_params.getlist(k)) for k in request.query_params}
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and "x-www-form-urlencoded" in content_type:
        form = await request.form()
        merged.update({k: ",".join(str(v) for v in form.getlist(k)) for k in form})
    return merged


def bearer(request: Request) -> str | None:
    """The access token from `Authorization: Bearer`."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def endpoint(state: MarketoState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with what every REST call goes through; the handler returns a body dict or a Response."""

    async def run(request: Request) -> Response:
        try:
            if len(str(request.url.path)) + len(request.url.query) > MAX_URI:
                raise HttpError(414, {"error": "Request-URI Too Long"})
            body = await request.body()
            if len(body) > MAX_BODY:
                raise HttpError(413, {"error": "Request Entity Too Large"})
            found = await params(request)
            logged = {k: [v] for k, v in found.items()}
            state.log.add(request.method, request.url.path, logged)
            state.take_forced(request.url.path)
            state.check_token(bearer(request))
            state.count_call()
            answer = await handler(request, found)
        except MarketoError as exc:
            return error_response(exc)
        except HttpError as exc:
            return http_error_response(exc)
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    return run


def json_body(raw: bytes, content_type: str) -> dict:
    """A JSON request body, or 612 / 609 as Marketo answers them."""
    if "json" not in content_type:
        raise MarketoError("612", "Invalid Content Type")
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise MarketoError("609", "Invalid JSON") from exc
    if not isinstance(body, dict):
        raise MarketoError("609", "Invalid JSON")
    return body


def encode_token(payload: dict) -> str:
    """An opaque paging token (base32, like Marketo's)."""
    return base64.b32encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_token(token: str, kind: str) -> dict:
    """Read a paging token this fake issued for `kind`; a foreign or broken token is 1003."""
    try:
        payload = json.loads(base64.b32decode(token.strip().encode()))
    except ValueError as exc:
        raise MarketoError("1003", f"Invalid nextPageToken '{token}'") from exc
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise MarketoError("1003", f"Invalid nextPageToken '{token}'")
    return payload


def int_param(found: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]; 1003 otherwise."""
    raw = found.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError as exc:
        raise MarketoError("1003", f"Invalid value '{raw}'. Required of type 'integer'") from exc
    if not low <= value <= high:
        raise MarketoError("1003", f"{name} must be between {low} and {high}")
    return value


def csv_param(found: dict[str, str], name: str) -> list[str]:
    """A comma-separated parameter as a list (empty when absent)."""
    raw = found.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]
