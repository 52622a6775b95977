"""`POST /oauth/tokens` of the fake Zendesk: the authorization-code, refresh-token and client-credentials grants.

As "OAuth Tokens for Grant Types" (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/)
describes: parameters as JSON (form encoding is accepted too), 200 with `access_token`,
`token_type` "bearer", `scope`, `refresh_token`, `expires_in`, `refresh_token_expires_in`.
Failures use the OAuth 2.0 error body (`error`, `error_description`): an unknown client or wrong
secret is 401 `invalid_client`; a bad, used or expired code or refresh token is 400 `invalid_grant`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .account import Account
from .auth import DEFAULT_REFRESH_TTL, Token
from .http import json_response

INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication included, or "
                  "unsupported authentication method.")
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                 "URI used in the authorization request, or was issued to another client.")


def routes(account: Account) -> list[Route]:
    """The token endpoint."""

    async def tokens(request: Request) -> Response:
        account.log.add(request.method, request.url.path, {})
        params = await _params(request)
        client_id, secret = str(params.get("client_id", "")), str(params.get("client_secret", ""))
        grant_type = params.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
            return _error(400, "unsupported_grant_type",
                          "The authorization grant type is not supported by the authorization server.")
        if account.auth.clients.get(client_id) != secret or not client_id:
            return _error(401, "invalid_client", INVALID_CLIENT)
        try:
            ttl = _ttl(params.get("expires_in"), 300, 172_800)
            refresh_ttl = _ttl(params.get("refresh_token_expires_in"), 604_800, 7_776_000)
        except ValueError:
            return _error(400, "invalid_request", "expires_in or refresh_token_expires_in is out of range.")
        scope = str(params.get("scope") or "read write")
        if grant_type == "authorization_code":
            grant = account.auth.take_grant(str(params.get("code", "")))
            if grant is None or grant.client_id != client_id:
                return _error(400, "invalid_grant", INVALID_GRANT)
            scope = grant.scope
        elif grant_type == "refresh_token":
            old = account.auth.by_refresh(str(params.get("refresh_token", "")))
            if old is None or old.client_id not in (None, client_id):
                return _error(400, "invalid_grant", INVALID_GRANT)
            scope = " ".join(sorted(old.scopes))
            account.auth.revoke(old)  # a refresh deletes the previous access and refresh tokens
        issued = account.auth.issue(scope, client_id, ttl, DEFAULT_REFRESH_TTL if refresh_ttl is None else refresh_ttl)
        return json_response(_token_json(issued, ttl, refresh_ttl))

    return [Route("/oauth/tokens", tokens, methods=["POST"])]


async def _params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode()))
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _ttl(raw: Any, low: int, high: int) -> int | None:
    """A lifetime parameter: None when absent; ValueError when outside the documented range."""
    if raw in (None, ""):
        return None
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(raw)
    return value


def _token_json(token: Token, ttl: int | None, refresh_ttl: int | None) -> dict[str, Any]:
    return {"access_token": token.access, "token_type": "bearer", "scope": " ".join(sorted(token.scopes)),
            "refresh_token": token.refresh, "expires_in": ttl,
            "refresh_token_expires_in": DEFAULT_REFRESH_TTL if refresh_ttl is None else refresh_ttl}


def _error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)
