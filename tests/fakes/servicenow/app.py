"""The Starlette application of the fake instance: OAuth token endpoint and the Table API."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import table_api
from .auth import OAuthError
from .errors import ServiceNowError
from .instance import Instance


def build_app(instance: Instance) -> Starlette:
    """An ASGI app serving `instance`."""

    async def token(request: Request) -> Response:
        # ServiceNow's token endpoint reads form fields only (a JSON body is an error).
        instance.log.add(request.method, request.url.path, {})
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()}
        # Clients may authenticate with HTTP Basic instead of form fields (RFC 6749 section 2.3.1).
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic" and "client_secret" not in form:
            try:
                client_id, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id, secret = "", ""
            form.update(client_id=unquote_plus(client_id), client_secret=unquote_plus(secret))
        try:
            answer = instance.auth.grant(form)
        except OAuthError as exc:
            return table_api.json_response({"error_description": exc.description, "error": exc.error}, exc.status)
        return table_api.json_response(answer, headers={"Cache-Control": "no-store"})

    async def not_found(request: Request, exc: Exception) -> Response:
        return ServiceNowError(400, "Requested URI does not represent any resource", None).response()

    async def bad_method(request: Request, exc: Exception) -> Response:
        return ServiceNowError(405, "Method not Supported", "Requested method is not supported by this resource") \
            .response()

    routes = [Route("/oauth_token.do", token, methods=["POST"]), *table_api.routes(instance)]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method})
    app.state.instance = instance
    return app
