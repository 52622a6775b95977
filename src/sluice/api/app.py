"""The ASGI application: SigV4 in front, one AppFlow endpoint behind (API layer).

Request path: `SigV4Middleware` (who is calling) -> `Router` (which operation) ->
`parse_request` + `validate_input` (the model's rules) -> the service handler from
`dispatch.operations` (run in a worker thread: handlers do blocking database work) ->
`serialize_output`. Modelled errors become AWS error responses; anything else is logged with
its request id and answered as a 500 `InternalServerException` without a traceback, except
the storage refusing a write (a full disk), which is a retryable 503 `ServiceUnavailableException`
(`storage_errors`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from starlette.types import Message, Receive, Scope, Send

from sluice.api import storage_errors
from sluice.api.console.app import ConsoleApp, is_console_request
from sluice.api.dispatch import Handler, operations
from sluice.api.metrics_endpoint import METRICS_PATH, serve_metrics
from sluice.api.runs_endpoint import RunsEndpoint, is_runs_request
from sluice.api.runtime import KeyResolver, Runtime
from sluice.api.secrets_endpoint import SecretsEndpoint, is_secrets_request
from sluice.engine import metrics
from sluice.protocol.context import CONTEXT_KEY, RequestContext
from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.parser import parse_request
from sluice.protocol.query import parse_query
from sluice.protocol.router import Router
from sluice.protocol.serializer import Response, serialize_error, serialize_output
from sluice.protocol.sigv4 import SigV4Middleware
from sluice.protocol.validate import validate_input
from sluice.service.connector_secrets import ConnectorSecrets
from sluice.service.context import Caller
from sluice.service.errors import ServiceError
from sluice.store.connector_keys import resolve_connector_key

log = logging.getLogger("sluice.api")
HEALTH_PATH = "/health"
STORAGE_ERROR_CODE = "ServiceUnavailableException"
OPERATION_KEY = "sluice.operation"  # the matched operation's name, for the request metrics
# Operations that may wait on a connector's system (a vendor API, a Lambda, a local handler).
# They always run in a worker thread: on the event loop they would stall every other request,
# including a connector reading its credentials secret back from this very server.
CALLS_CONNECTORS = frozenset({
    "CreateConnectorProfile", "UpdateConnectorProfile", "ListConnectorEntities", "DescribeConnectorEntity",
    "CreateFlow", "UpdateFlow", "RegisterConnector", "UpdateConnectorRegistration",
})


async def _send(send: Send, response: Response) -> None:
    status, headers, body = response
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


class AppFlowEndpoint:
    """Answers every signed AppFlow request."""

    def __init__(self, handlers: dict[str, Handler], inline: bool = False) -> None:
        self.router = Router(service_model())
        self.handlers = handlers
        self.inline = inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context: RequestContext = scope[CONTEXT_KEY]
        body = await _read_body(receive)
        rid = context.request_id
        try:
            response = await self._answer(scope, body, context)
        except ProtocolError as exc:
            response = serialize_error(exc.code, exc.message, exc.status, rid)
        except ServiceError as exc:
            response = serialize_error(exc.code, exc.message, exc.status, rid)
        except Exception as exc:
            if storage_errors.is_storage_failure(exc):  # a full disk clears; 503 tells SDKs to retry
                log.error("request %s: storage refused a write: %s", rid, exc)
                response = serialize_error(STORAGE_ERROR_CODE, storage_errors.MESSAGE, 503, rid)
            else:
                log.exception("request %s failed", rid)
                response = serialize_error(
                    "InternalServerException", f"An internal error occurred (request id {rid}).", 500, rid
                )
        metrics.api_request(scope.get(OPERATION_KEY) or "unknown", response[0])
        await _send(send, response)

    async def _answer(self, scope: Scope, body: bytes, context: RequestContext) -> Response:
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        op, path_params = self.router.match(scope["method"], raw_path)
        scope[OPERATION_KEY] = op.name
        query = parse_query(scope.get("query_string", b""))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        params = parse_request(op, path_params, query, headers, body)
        validate_input(op.input_shape, params)
        caller = Caller(context.account_id, context.region, context.caller_arn, context.request_id)
        handler = self.handlers[op.name]
        if self.inline and op.name not in CALLS_CONNECTORS:
            result: dict[str, Any] = handler(caller, params)
        else:
            result = await anyio.to_thread.run_sync(handler, caller, params)
        return serialize_output(op, result)


class SluiceApp:
    """The whole ASGI app: lifespan (executor start/stop), health check, signed API."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # An embedded SQLite answers in well under a millisecond, so its handlers run on the event
        # loop (a thread hop would cost more than the query); a networked database gets threads.
        inline = runtime.store.engine.dialect.name == "sqlite"
        endpoint = AppFlowEndpoint(operations(runtime.services), inline=inline)
        regions = runtime.settings.regions
        self.api = SigV4Middleware(
            endpoint, KeyResolver(runtime.store), exempt_paths=(HEALTH_PATH,), regions=regions
        )
        # Sluice's own run resources (/sluice/v1): the same signature check and account scoping.
        self.runs = SigV4Middleware(
            RunsEndpoint(runtime.services.executions), KeyResolver(runtime.store), regions=regions
        )
        store = runtime.store
        # The web console (/console): its own session cookie, the same accounts and services.
        self.console = ConsoleApp(runtime.services, KeyResolver(store), store.box.derive("console-session"), regions)
        self.secrets = SigV4Middleware(
            SecretsEndpoint(ConnectorSecrets(store)),
            lambda key: resolve_connector_key(store, key),
            service="secretsmanager",
            regions=regions,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            scheduler = self.runtime.scheduler
            body = json.dumps({
                "status": "ok",
                "scheduler": {"ticks": scheduler.ticks, "cpu_seconds": round(scheduler.cpu_seconds, 3)},
                "events": self.runtime.events.status(),
            }).encode()
            await _send(send, (200, [(b"content-type", b"application/json")], body))
        elif scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await serve_metrics(scope, send)
        elif scope["type"] == "http" and is_console_request(scope):
            await self.console(scope, receive, send)
        elif scope["type"] == "http" and is_secrets_request(scope):
            await self.secrets(scope, receive, send)
        elif scope["type"] == "http" and is_runs_request(scope):
            await self.runs(scope, receive, send)
        elif scope["type"] == "http":
            await self.api(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.runtime.executor.start()
                self.runtime.scheduler.start()
                self.runtime.events.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.runtime.events.stop()
                self.runtime.scheduler.stop()
                self.runtime.executor.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(runtime: Runtime) -> SluiceApp:
    """The ASGI app over an opened runtime."""
    return SluiceApp(runtime)
