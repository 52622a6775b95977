"""The Starlette application of the fake Zendesk account: OAuth, reads, incremental exports, bulk writes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from . import authorize, oauth, reads, writes
from .account import Account
from .http import json_response


def build_app(account: Account) -> Starlette:
    """An ASGI app serving `account`."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)

    async def bad_method(request: Request, exc: Exception) -> Response:
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)

    app = Starlette(routes=[*authorize.routes(account), *oauth.routes(account), *writes.routes(account),
                                    *reads.routes(account)],
                    exception_handlers={404: not_found, 405: bad_method})
    app.state.account = account
    return app
