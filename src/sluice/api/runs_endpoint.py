"""Sluice's own run resources under /sluice/v1 (API layer), behind the same SigV4 check.

    GET /sluice/v1/flows/{flowName}/executions/{executionId}
    GET /sluice/v1/flows/{flowName}/executions/{executionId}/events?after=<seq>&limit=<n>

These are not AppFlow operations, so they are not in botocore's model and the model-driven
router never sees them: `SluiceApp` sends paths under `PREFIX` here, wrapped in the same
`SigV4Middleware` as the AppFlow endpoint, and the caller's account and region scope every
read exactly as `DescribeFlowExecutionRecords` does. Errors use the AWS error JSON.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from sluice.protocol.context import CONTEXT_KEY, RequestContext
from sluice.protocol.serializer import request_id_header, serialize_error
from sluice.service.context import Caller
from sluice.service.errors import ServiceError
from sluice.service.executions import Executions

log = logging.getLogger("sluice.api")
PREFIX = "/sluice/v1/"
MAX_EVENTS = 1000
DEFAULT_EVENTS = 100


def is_runs_request(scope: Scope) -> bool:
    """True for a request to one of Sluice's own resources."""
    return str(scope.get("path", "")).startswith(PREFIX)


class _BadRequest(ServiceError):
    code = "ValidationException"
    status = 400


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"Value {text!r} at '{name}' failed to satisfy constraint: Member must be an integer") \
            from None
    if not low <= value <= high:
        raise _BadRequest(f"Value {value} at '{name}' failed to satisfy constraint: "
                          f"Member must be between {low} and {high}")
    return value


class RunsEndpoint:
    """Answers the /sluice/v1 run resources for a signed caller."""

    def __init__(self, executions: Executions) -> None:
        self.executions = executions
        self.router = Router(routes=[
            Route("/sluice/v1/flows/{flow_name}/executions/{execution_id}", self._run, methods=["GET"]),
            Route("/sluice/v1/flows/{flow_name}/executions/{execution_id}/events", self._events, methods=["GET"]),
        ], default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        context: RequestContext = scope[CONTEXT_KEY]
        await _respond(send, serialize_error("UnknownOperationException",
                                             f"No Sluice resource answers {scope['path']}.", 404,
                                             context.request_id))

    async def _run(self, request: Request) -> Response:
        def answer(caller: Caller) -> dict[str, Any]:
            return self.executions.run(caller, request.path_params["flow_name"], request.path_params["execution_id"])

        return await _answer(request, answer)

    async def _events(self, request: Request) -> Response:
        def answer(caller: Caller) -> dict[str, Any]:
            after = _int(request, "after", 0, 0, 2**31 - 1)
            limit = _int(request, "limit", DEFAULT_EVENTS, 1, MAX_EVENTS)
            return self.executions.run_events(caller, request.path_params["flow_name"],
                                              request.path_params["execution_id"], after, limit)

        return await _answer(request, answer)


async def _answer(request: Request, answer: Any) -> Response:
    context: RequestContext = request.scope[CONTEXT_KEY]
    rid = context.request_id
    caller = Caller(context.account_id, context.region, context.caller_arn, rid)
    try:
        body = await anyio.to_thread.run_sync(answer, caller)
        status, payload = 200, json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), request_id_header(rid)]
    except ServiceError as exc:
        status, headers, payload = serialize_error(exc.code, exc.message, exc.status, rid)
    except Exception:
        log.exception("request %s failed", rid)
        status, headers, payload = serialize_error(
            "InternalServerException", f"An internal error occurred (request id {rid}).", 500, rid)
    response = Response(payload, status_code=status)
    response.raw_headers = [*headers, (b"content-length", str(len(payload)).encode())]
    return response


async def _respond(send: Send, response: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    status, headers, body = response
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
