"""The Starlette application of the fake org: OAuth, REST, Bulk API 2.0, CometD and admin routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import admin, bulk, cometd, oauth, rest
from .errors import SalesforceError
from .org import Org


def build_app(org: Org) -> Starlette:
    """An ASGI app serving `org`."""

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SalesforceError)
        return org.error_response(exc)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
                            status_code=404)

    async def bad_method(request: Request, exc: Exception) -> Response:
        return JSONResponse([{"errorCode": "METHOD_NOT_ALLOWED",
                              "message": f"HTTP Method '{request.method}' not allowed."}], status_code=405)

    routes = [*oauth.routes(org), *rest.routes(org), *bulk.routes(org), *cometd.routes(org), *admin.routes(org)]
    app = Starlette(routes=routes, exception_handlers={SalesforceError: on_error, 404: not_found,
                                                       405: bad_method})
    app.add_middleware(Logged, log=org.log)
    app.state.org = org
    return app


class Logged:
    """Pure ASGI: every HTTP request's method, path and query go to the org's `RequestLog` (a test control)."""

    def __init__(self, app: Any, log: Any) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.log.add(scope["method"], scope["path"],
                         parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True))
        await self.app(scope, receive, send)
