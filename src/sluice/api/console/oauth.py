""""Connect with <vendor>": the OAuth 2.0 authorization-code flow for a new profile (API layer, console).

    POST /console/connections/oauth/start      the profile form, sent with "Connect with <vendor>"
    GET  /console/connections/oauth/callback   where the vendor sends the browser back (code, state)

`start` checks the request as CreateConnectorProfile would (the model's validator, with an
`oAuthRequest` to come), then sends the browser to the vendor's authorize URL: the profile's
`instanceUrl` plus the vendor's documented path, `client_id` from the form, the scopes the
connector's configuration declares, `redirect_uri` = this console's callback and a random `state`.
The pending request (credentials included) travels in a cookie sealed with AES-GCM under a key
derived from the console's session key (so any server process sharing the data can finish it),
bound to the session's CSRF token, the account and region, for ten minutes.

The vendor's redirect back is a cross-site navigation, so the browser does not send the
`SameSite=Strict` session cookie with it; the pending cookie is `SameSite=Lax`, which it does
send. The callback then answers with a page that reloads itself from this site (a same-site
navigation, which carries the session cookie) and only then checks the state against the
session and calls CreateConnectorProfile with `oAuthRequest: {authCode, redirectUri}`, exactly as
the AppFlow API takes it; the connector exchanges the code for tokens.

The "go to the vendor" step is a page too (meta refresh and a link): the console's
Content-Security-Policy allows forms to submit only to itself, and browsers apply that to a
form's redirects as well.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography.exceptions import InvalidTag
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from sluice.api.console import connections
from sluice.api.console.model_forms import FormProblem
from sluice.api.console.pages import SECURITY_HEADERS, Console, User
from sluice.protocol.errors import ProtocolError
from sluice.service.errors import ServiceError
from sluice.store.crypto import SecretBox

COOKIE = "sluice_oauth"
COOKIE_PATH = "/console/connections/oauth"
CALLBACK = "/console/connections/oauth/callback"
PENDING_SECONDS = 600
CONTEXT = "console-oauth-pending"


@dataclass(frozen=True)
class Vendor:
    """Where a vendor's authorize endpoint lives below the profile's `instanceUrl`."""

    path: str
    scope_separator: str = " "
    # The client id the server itself exchanges codes with, for vendors whose credentials hold none.
    server_client_id: Callable[[], str | None] | None = None


def salesforce_client_id() -> str | None:
    """The connected app the Salesforce connector exchanges codes with (SLUICE_SALESFORCE_CLIENT_ID)."""
    from sluice.connectors.salesforce.settings import app_client

    return app_client()[0]


# Each vendor's documented authorization endpoint:
# Zendesk  https://support.zendesk.com/hc/en-us/articles/4408845965210 (/oauth/authorizations/new)
# Slack    https://docs.slack.dev/authentication/installing-with-oauth (/oauth/v2/authorize, comma-separated scopes)
# Salesforce https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
#          (/services/oauth2/authorize on the login host or the org's My Domain)
VENDORS = {
    "Zendesk": Vendor("/oauth/authorizations/new"),
    "Slack": Vendor("/oauth/v2/authorize", ","),
    "Salesforce": Vendor("/services/oauth2/authorize", server_client_id=salesforce_client_id),
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def csrf_binding(csrf: str) -> str:
    """What the pending request keeps of the session's CSRF token (a hash, not the token)."""
    return hashlib.sha256(f"oauth:{csrf}".encode()).hexdigest()


def authorize_url(vendor: Vendor, instance_url: str, client_id: str, redirect_uri: str, state: str,
                  scopes: list[str]) -> str:
    """The vendor's authorize URL with the authorization-code request's parameters."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if scopes:
        query["scope"] = vendor.scope_separator.join(scopes)
    return instance_url.rstrip("/") + vendor.path + "?" + urlencode(query)


class PendingCookie:
    """The sealed cookie carrying a started authorization to its callback."""

    def __init__(self, key: bytes) -> None:
        self.box = SecretBox(key)

    def dumps(self, pending: dict[str, Any]) -> str:
        return _b64(self.box.seal_json(pending, CONTEXT))

    def loads(self, value: str | None) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            pending = self.box.open_json(_unb64(value), CONTEXT)
        except (InvalidTag, ValueError, binascii.Error):
            return None
        if not isinstance(pending, dict) or float(pending.get("expires", 0)) < time.time():
            return None
        return pending

    @staticmethod
    def header(value: str, secure: bool, max_age: int = PENDING_SECONDS) -> str:
        # Lax: the vendor's redirect back is a cross-site top-level GET, which Lax cookies survive.
        parts = [f"{COOKIE}={value}", f"Path={COOKIE_PATH}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)


def _page(console: Console, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page rendered without touching the session cookie (the callback may arrive without it, and
    a new anonymous cookie would replace the user's session)."""
    body = console.templates.get_template(name).render(context)
    response = HTMLResponse(body, status_code=status)
    for header, value in SECURITY_HEADERS:
        response.headers.setdefault(header, value)
    return response


def routes(console: Console) -> list[BaseRoute]:
    """The OAuth start and callback routes."""
    cookies = PendingCookie(console.derive("oauth-pending"))
    services = console.services

    async def start(request: Request, user: User) -> Response:
        posted = await console.form(request)
        connector_type = str(posted.get("connectorType") or "")
        vendor = VENDORS.get(connector_type)
        form = await connections.profile_form_for(console, user, connector_type, None)
        if vendor is None or not form.oauth or form.credentials is None or form.properties is None:
            return console.error(request, 400, "Not an OAuth connector",
                                 f"The console runs the authorization-code flow for {', '.join(VENDORS)}.")
        redirect_uri = str(request.url.replace(path=CALLBACK, query="", fragment=""))
        try:
            params = connections.create_params(posted, form, connector_type, None)
            config = params["connectorProfileConfig"]
            member = form.credentials.key
            creds = dict((config.get("connectorProfileCredentials") or {}).get(member) or {})
            client_id = str(creds.get("clientId") or posted.get("oauth_client_id") or "").strip()
            if not client_id and vendor.server_client_id is not None:
                client_id = vendor.server_client_id() or ""
            instance = str((config["connectorProfileProperties"][form.properties.key]).get("instanceUrl") or "")
            if urlsplit(instance).scheme != "https" or not urlsplit(instance).hostname:
                raise FormProblem(f"{form.properties.name}.instanceUrl",
                                  f"Connect with {connector_type} needs the https instanceUrl of your account.")
            if not client_id:
                raise FormProblem("oauth_client_id", "Connect with a vendor needs the OAuth client id.")
            # Checked as CreateConnectorProfile will be, with the code the vendor is about to give.
            trial = {**params, "connectorProfileConfig": {**config, "connectorProfileCredentials": {
                member: {**creds, "oAuthRequest": {"authCode": "pending", "redirectUri": redirect_uri}}}}}
            connections.check("CreateConnectorProfile", trial)
        except (FormProblem, ProtocolError) as exc:
            return connections.render_profile_form(console, request, form, connections.kept_values(posted),
                                                   label=None, **connections.problem_of(exc))
        described = await console.call(user, services.connectors.describe_connector, {"connectorType": connector_type})
        defaults = (described["connectorConfiguration"].get("authenticationConfig") or {}).get("oAuth2Defaults") or {}
        state = secrets.token_urlsafe(24)
        pending = {"state": state, "csrf": csrf_binding(user.csrf), "account": user.account_id, "region": user.region,
                   "params": params, "member": member, "redirectUri": redirect_uri,
                   "expires": time.time() + PENDING_SECONDS}
        scopes = list(defaults.get("oauthScopes") or ())
        target = authorize_url(vendor, instance, client_id, redirect_uri, state, scopes)
        response = console.render(request, "connections/oauth_go.html", {
            "target": target, "vendor": connector_type, "section": "connections"})
        response.headers["refresh"] = f"0; url={target}"
        response.headers.append("set-cookie", cookies.header(cookies.dumps(pending), request.url.scheme == "https"))
        return response

    async def callback(request: Request) -> Response:
        user = console.user(request)
        query = request.query_params
        if user is None:
            if query.get("bounced") != "1":
                # Arrived from the vendor without the Strict session cookie: come back from this site.
                again = request.url.include_query_params(bounced="1")
                target = again.path + "?" + again.query
                response = _page(console, "connections/oauth_bounce.html", {"target": target})
                response.headers["refresh"] = f"0; url={target}"
                return response
            return console.not_signed_in(request, fragment=False)
        return await signed_in_finish(request)

    async def finish(request: Request, user: User) -> Response:
        query = request.query_params
        pending = cookies.loads(request.cookies.get(COOKIE))
        valid = (
            pending is not None
            and hmac.compare_digest(str(pending.get("state", "")).encode(), query.get("state", "").encode())
            and hmac.compare_digest(str(pending.get("csrf", "")).encode(), csrf_binding(user.csrf).encode())
            and pending.get("account") == user.account_id and pending.get("region") == user.region
        )
        if not valid or pending is None:
            return done(request, console.error(
                request, 400, "Authorization not recognised",
                "This answer from the vendor does not belong to an authorization started in this session "
                "(or it is more than ten minutes old). Start again from the connection form."))
        params = pending["params"]
        vendor = params["connectorType"]
        if query.get("error") or not query.get("code"):
            said = query.get("error_description") or query.get("error") or "no authorization code"
            return done(request, console.error(request, 400, f"{vendor} did not authorize",
                                               f"{vendor} answered: {said}"))
        config = dict(params["connectorProfileConfig"])
        creds = dict((config.get("connectorProfileCredentials") or {}).get(pending["member"]) or {})
        creds["oAuthRequest"] = {"authCode": query["code"], "redirectUri": pending["redirectUri"]}
        config["connectorProfileCredentials"] = {pending["member"]: creds}
        request_params = {**params, "connectorProfileConfig": config}
        try:
            connections.check("CreateConnectorProfile", request_params)
            await console.call(user, services.connector_profiles.create_connector_profile, request_params)
        except (ProtocolError, ServiceError) as exc:
            return done(request, console.error(request, exc.status, f"{vendor} connection not created",
                                               f"{exc.code}: {exc.message}"))
        return done(request, console.redirect(request, connections.profile_url(params["connectorProfileName"])
                                              + "?checked=created"))

    signed_in_finish = console.page(finish)

    def done(request: Request, response: Response) -> Response:
        """`response`, with the pending cookie removed: an authorization is used once."""
        response.headers.append("set-cookie", cookies.header("", request.url.scheme == "https", max_age=0))
        return response

    return [
        Route("/console/connections/oauth/start", console.action(start), methods=["POST"]),
        Route(CALLBACK, callback, methods=["GET"]),
    ]

