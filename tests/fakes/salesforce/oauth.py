"""OAuth 2.0 endpoints of the fake org: token (four grants), userinfo, identity and revoke."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import OAuthError
from .errors import SalesforceError
from .org import Org

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def base_url(request: Request) -> str:
    """The URL this server was reached at (the org's instance URL)."""
    return str(request.base_url).rstrip("/")


def _token_answer(org: Org, request: Request, user: str, client_id: str, refresh: bool) -> dict:
    auth = org.auth
    token = auth.issue_token(user, client_id)
    issued_at = str(int(time.time() * 1000))
    identity = auth.identity_url(base_url(request), user)
    secret = auth.clients.get(client_id, "").encode()
    signature = base64.b64encode(hmac.new(secret, (identity + issued_at).encode(), hashlib.sha256).digest()).decode()
    answer = {"access_token": token, "instance_url": base_url(request), "id": identity, "token_type": "Bearer",
              "issued_at": issued_at, "signature": signature, "scope": "api refresh_token"}
    if refresh:
        answer["refresh_token"] = auth.issue_refresh_token(user, client_id)
    return answer


async def _form(request: Request) -> dict[str, str]:
    """Form fields of a urlencoded body, query parameters too (Salesforce accepts both); no multipart needed."""
    fields = dict(request.query_params)
    fields.update(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def routes(org: Org) -> list[Route]:
    """The `/services/oauth2/*` routes (plus the identity URL handed out in token answers)."""

    async def token(request: Request) -> Response:
        org.count("token")
        fault = org.take_fault(request)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                err = fault.error()
                return JSONResponse({"error": fault.error_code or "invalid_grant", "error_description": err.message},
                                    status_code=fault.status, headers=err.headers)
        form = await _form(request)
        grant = form.get("grant_type")
        org.count(f"token:{grant}")
        auth = org.auth
        try:
            if grant == "authorization_code":
                client_id = form.get("client_id", "")
                auth.check_client(client_id, form.get("client_secret"))
                user = auth.redeem_auth_code(form.get("code"), form.get("redirect_uri"))
                return JSONResponse(_token_answer(org, request, user, client_id, refresh=True))
            if grant == "refresh_token":
                client_id = form.get("client_id", "")
                # A connected app may skip the secret for refresh; Sluice always sends it, so check it when given.
                auth.check_client(client_id, form.get("client_secret") or auth.clients.get(client_id))
                user = auth.redeem_refresh_token(form.get("refresh_token"), client_id)
                return JSONResponse(_token_answer(org, request, user, client_id, refresh=False))
            if grant == "client_credentials":
                client_id = form.get("client_id", "")
                auth.check_client(client_id, form.get("client_secret"))
                return JSONResponse(_token_answer(org, request, "integration@sluice.test", client_id, refresh=False))
            if grant == JWT_BEARER:
                client_id, user = auth.verify_jwt(form.get("assertion"), base_url(request))
                return JSONResponse(_token_answer(org, request, user, client_id, refresh=False))
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    def identity(request: Request, user: str) -> dict:
        auth = org.auth
        return {
            "sub": auth.identity_url(base_url(request), user), "user_id": auth.user_id(user),
            "organization_id": auth.org_id, "preferred_username": user, "email": user, "email_verified": True,
            "name": "Sluice Admin", "zoneinfo": "UTC", "locale": "en_US", "user_type": "STANDARD", "active": True,
            "urls": {"rest": f"{base_url(request)}/services/data/v{{version}}/",
                     "query": f"{base_url(request)}/services/data/v{{version}}/query/"},
        }

    async def userinfo(request: Request) -> Response:
        try:
            user = await org.aguard(request, "userinfo")
        except SalesforceError:
            # The OpenID endpoint answers a plain-text 403 for a bad token, not the REST error list.
            return Response("Bad_OAuth_Token", status_code=403)
        return org.json(identity(request, user))

    async def id_url(request: Request) -> Response:
        try:
            user = await org.aguard(request, "identity")
        except SalesforceError as exc:
            return org.error_response(exc)
        return org.json(identity(request, user))

    async def revoke(request: Request) -> Response:
        org.count("revoke")
        tok = (await _form(request)).get("token")
        if not tok or not org.auth.revoke(str(tok)):
            return JSONResponse({"error": "unsupported_token_type", "error_description": "this token type is not "
                                 "supported"}, status_code=400)
        return Response(status_code=200)

    return [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["POST", "GET"]),
        Route("/id/{org_id}/{user_id}", id_url, methods=["GET"]),
    ]
