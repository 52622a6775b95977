"""The Starlette application of the fake subscription: identity, REST reads, Sync/Delete Leads, Bulk Extract."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import bulk, rest, writes
from .protocol import endpoint, error_response, http_error_response, params
from .state import HttpError, MarketoError, MarketoState


def identity(state: MarketoState):
    """`GET|POST /identity/oauth/token?grant_type=client_credentials&client_id&client_secret` (Authentication page).

    Bad credentials are HTTP 401 `{"error": "unauthorized", "error_description": ...}`."""

    async def token(request: Request) -> Response:
        found = await params(request)
        state.log.add(request.method, request.url.path,
                      {k: [v] for k, v in found.items() if k != "client_secret"})
        if found.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "invalid_request", "error_description": "Missing grant type"},
                                status_code=400)
        try:
            value, expires_in = state.issue_token(found.get("client_id", ""), found.get("client_secret", ""))
        except HttpError as exc:
            return http_error_response(exc)
        return JSONResponse({"access_token": value, "token_type": "bearer", "expires_in": expires_in,
                             "scope": state.scope})

    return token


def leads_json(state: MarketoState):
    """`/rest/v1/leads.json`: GET (or POST `_method=GET`) queries; a JSON POST syncs; DELETE deletes."""
    query = endpoint(state, rest.leads_query(state))
    sync = endpoint(state, writes.sync_leads(state))
    # marketorestpython's delete_lead sends DELETE /rest/v1/leads.json with the Delete Leads body.
    delete = endpoint(state, writes.delete_leads(state))

    async def dispatch(request: Request) -> Response:
        if request.method == "DELETE":
            return await delete(request)
        if request.method == "POST" and "x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return await sync(request)
        return await query(request)

    return dispatch


def build_app(state: MarketoState) -> Starlette:
    """An ASGI app serving `state`."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(MarketoError("610", "Requested resource not found"))

    async def bad_method(request: Request, exc: Exception) -> Response:
        return error_response(MarketoError("605", "HTTP Method not supported"))

    routes = [
        Route("/identity/oauth/token", identity(state), methods=["GET", "POST"]),
        Route("/rest/v1/leads.json", leads_json(state), methods=["GET", "POST", "DELETE"]),
        Route("/rest/v1/leads/delete.json", endpoint(state, writes.delete_leads(state)), methods=["POST"]),
        *rest.routes(state),
        *bulk.routes(state),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method})
    app.state.marketo = state
    return app
