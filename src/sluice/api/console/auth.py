"""Sign-in, sign-out and the region picker (API layer, console).

Sign-in takes an account's access key id and secret access key, the same pair a SigV4 client
signs with, and checks them against the account store exactly as the SigV4 check resolves a key
(`KeyResolver`); a wrong pair is refused with 401 and the same words whichever half was wrong.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console import session as sessions
from sluice.api.console.pages import HOME, SIGN_IN, Console, User, safe_next
from sluice.protocol.sigv4 import REGION_PATTERN

WRONG_KEYS = "That access key id and secret access key do not sign in to any account."


def routes(console: Console) -> list[BaseRoute]:
    """The sign-in routes."""

    async def show(request: Request) -> Response:
        if console.user(request) is not None:
            return console.redirect(request, safe_next(request.query_params.get("next")))
        return console.render(request, "signin.html", {"next": request.query_params.get("next", ""),
                                                       "region": console.regions[0]})

    async def submit(request: Request) -> Response:
        form = await console.form(request)
        if not await console.csrf_ok(request):
            return console.error(request, 403, "Refused", "The sign-in form was out of date. Reload it and try again.")
        key_id = str(form.get("access_key_id") or "").strip()
        secret = str(form.get("secret_access_key") or "")
        region = str(form.get("region") or console.regions[0])
        context = {"next": str(form.get("next") or ""), "access_key_id": key_id, "region": region}
        if not _region_ok(console, region):
            problem = f"{region} is not a region here."
            return console.render(request, "signin.html", {**context, "problem": problem}, 400)
        signed_in = console.sign_in(key_id, secret, region)
        if signed_in is None:
            return console.render(request, "signin.html", {**context, "problem": WRONG_KEYS}, 401)
        console.set_session(request, signed_in)
        return console.redirect(request, safe_next(str(form.get("next") or "")))

    async def sign_out(request: Request, user: User) -> Response:
        console.set_session(request, sessions.anonymous())
        return console.redirect(request, SIGN_IN)

    async def pick_region(request: Request, user: User) -> Response:
        form = await console.form(request)
        region = str(form.get("region") or "")
        if not _region_ok(console, region):
            return console.error(request, 400, "Unknown region", f"{region or 'That'} is not a region here.")
        console.set_session(request, console.session(request).with_region(region))
        return console.redirect(request, safe_next(str(form.get("back") or "")))

    async def home(request: Request) -> Response:
        return console.redirect(request, HOME)

    return [
        Route("/console", home, methods=["GET"]),
        Route("/console/", home, methods=["GET"]),
        Route(SIGN_IN, show, methods=["GET"]),
        Route(SIGN_IN, submit, methods=["POST"]),
        Route("/console/signout", console.action(sign_out), methods=["POST"]),
        Route("/console/region", console.action(pick_region), methods=["POST"]),
    ]


def _region_ok(console: Console, region: str) -> bool:
    return region in console.regions or (console.regions_open and bool(REGION_PATTERN.fullmatch(region)))
