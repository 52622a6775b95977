"""`GET /oauth/authorizations/new` of the fake Zendesk: the user's approval step of the authorization-code grant.

As "Using OAuth authentication with your application" describes it
(https://support.zendesk.com/hc/en-us/articles/4408845965210): the app sends the browser to
`https://{subdomain}.zendesk.com/oauth/authorizations/new` with `response_type=code`, `client_id`
(the OAuth client's unique identifier), `redirect_uri` (one of the client's redirect URLs),
`scope` (e.g. `read write`) and an optional `state`; Zendesk shows the signed-in user a page asking
to allow access; on "Allow" it redirects to `redirect_uri` with `code` (valid for 120 seconds)
and `state`; on "Deny" with `error=access_denied`, `error_description` and `state`. An unknown
client or a missing parameter is shown as an error page, not redirected. The fake's user is
always signed in; the consent is a form posted back to the same path. `account.auth.redirect_urls`
lists each client's allowed redirect URLs (empty: any).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .account import Account

PATH = "/oauth/authorizations/new"


def routes(account: Account) -> list[Route]:
    """The authorization page and its consent form."""

    def problem(message: str) -> Response:
        return HTMLResponse(f"<!doctype html><title>Zendesk</title><h1>Invalid authorization request</h1>"
                            f"<p>{html.escape(message)}</p>", status_code=400)

    def checked(params: dict[str, str]) -> str | None:
        """Why the request cannot be shown (None when it can)."""
        client_id = params.get("client_id", "")
        if params.get("response_type") != "code":
            return "response_type must be code."
        if client_id not in account.auth.clients:
            return "The client is unknown."
        allowed = account.auth.redirect_urls.get(client_id)
        if not params.get("redirect_uri") or (allowed and params["redirect_uri"] not in allowed):
            return "The redirect_uri is not one of the client's redirect URLs."
        return None

    async def show(request: Request) -> Response:
        params = dict(request.query_params)
        account.log.add(request.method, request.url.path, params)
        wrong = checked(params)
        if wrong:
            return problem(wrong)
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        return HTMLResponse(
            "<!doctype html><html lang=en><title>Allow access? - Zendesk</title><body>"
            f"<h1>{html.escape(params['client_id'])} wants to access your Zendesk account</h1>"
            f"<p>Scopes: {html.escape(params.get('scope', 'read'))}</p>"
            f'<form method="post" action="{PATH}">{hidden}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form></body></html>')

    async def decide(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        account.log.add(request.method, request.url.path, {"decision": form.get("decision", "")})
        wrong = checked(form)
        if wrong:
            return problem(wrong)
        back: dict[str, str]
        if form.get("decision") == "allow":
            code = account.auth.authorization_code(form["client_id"], form.get("scope") or "read",
                                                   form["redirect_uri"])
            back = {"code": code}
        else:
            back = {"error": "access_denied", "error_description": "The end-user or authorization server denied "
                                                                   "the request."}
        if form.get("state"):
            back["state"] = form["state"]
        separator = "&" if "?" in form["redirect_uri"] else "?"
        return RedirectResponse(form["redirect_uri"] + separator + urlencode(back), status_code=302)

    return [Route(PATH, show, methods=["GET"]), Route(PATH, decide, methods=["POST"])]
