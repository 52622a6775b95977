"""The machinery every console page shares: sessions, CSRF, rendering, service calls (API layer).

A page module (`flows.py`, `runs.py`, ...) exposes `routes(console) -> list[Route]` and wraps
each endpoint in one of `Console.page`, `Console.fragment` or `Console.action`:

* `page`: a full HTML page; without a session the browser is sent to the sign-in page.
* `fragment`: a piece of a page that htmx swaps in; without a session it answers 401 (with
  `HX-Redirect` to the sign-in page, which htmx follows).
* `action`: a POST; like `page`, and the form's `csrf_token` field (or the `X-CSRF-Token`
  header htmx sends) must match the session's token, else 403.

The wrapped handler gets `(request, user)`, where `user` is the signed-in `User`; it calls the
service layer with `await console.call(user, service_method, params)`, which runs the method in
a worker thread under a `Caller` for the session's account and region, exactly as the signed
API does. Every lookup is therefore scoped to that account: another account's flow is simply
not found, and a `ResourceNotFoundException` becomes the console's 404 page. Other modelled
errors become an error page with their status; anything else is logged with a request id and
shown as a 500 page without detail.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from sluice.api.console import session as sessions
from sluice.api.console.session import Session, SessionCodec
from sluice.service.context import Caller
from sluice.service.errors import ResourceNotFoundException, ServiceError
from sluice.service.services import Services

log = logging.getLogger("sluice.console")
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PREFIX = "/console"
SIGN_IN = f"{PREFIX}/signin"
HOME = f"{PREFIX}/flows"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 1024 * 1024
# The regions the picker offers when the server does not restrict them (SLUICE_REGIONS): those
# where AppFlow is offered (https://docs.aws.amazon.com/general/latest/gr/appflow.html).
APPFLOW_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "sa-east-1",
)
KeyResolver = Callable[[str], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in account, in the region the session has picked."""

    account_id: str
    access_key_id: str
    region: str
    csrf: str

    def caller(self, request_id: str = "") -> Caller:
        """The service layer's caller for this session (the account's root, as SigV4 gives it)."""
        return Caller(self.account_id, self.region, f"arn:aws:iam::{self.account_id}:root",
                      request_id or str(uuid.uuid4()))


Handler = Callable[[Request, User], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class Console:
    """What the console's pages share: services, key lookup, the session codec, templates."""

    def __init__(self, services: Services, resolve_key: KeyResolver, session_key: bytes,
                 regions: Sequence[str] = ()) -> None:
        self.services = services
        self.resolve_key = resolve_key
        self.codec = SessionCodec(session_key)
        self._session_key = session_key
        self.regions: tuple[str, ...] = tuple(regions) or APPFLOW_REGIONS
        # Like the SigV4 check: without SLUICE_REGIONS any name shaped like a region is one.
        self.regions_open = not regions
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.autoescape = True
        self.templates.env.filters.update(when=when, duration=duration, size=size, count=count, urlpart=urlpart)

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (e.g. sealing the OAuth cookie), derived from the session key."""
        return hmac.new(self._session_key, f"console-derived:{purpose}".encode(), "sha256").digest()

    # -- sessions --------------------------------------------------------------------------
    def session(self, request: Request) -> Session:
        """The request's session: the cookie's if valid, else a new anonymous one (set on the response)."""
        cached: Session | None = getattr(request.state, "session", None)
        if cached is not None:
            return cached
        found = self.codec.loads(request.cookies.get(sessions.COOKIE))
        if found is not None and found.signed_in and not self._keys_still_valid(found):
            found = None  # the account was deleted or its secret replaced: the session ends now
        if found is None:
            found = sessions.anonymous()
            request.state.new_session = found
        request.state.session = found
        return found

    def _keys_still_valid(self, found: Session) -> bool:
        resolved = self.resolve_key(found.access_key_id or "")
        if resolved is None:
            return False
        secret, account_id = resolved
        return account_id == found.account_id and hmac.compare_digest(
            self.codec.key_check(secret), found.key_check or "")

    def user(self, request: Request) -> User | None:
        """The signed-in user, or None."""
        found = self.session(request)
        if not found.signed_in or found.account_id is None or found.access_key_id is None:
            return None
        return User(found.account_id, found.access_key_id, found.region or self.regions[0], found.csrf)

    def set_session(self, request: Request, new: Session) -> None:
        """Replace the request's session; the response carries the new cookie."""
        request.state.session = new
        request.state.new_session = new

    def sign_in(self, access_key_id: str, secret: str, region: str) -> Session | None:
        """A new signed-in session for the key pair, or None when no account has it (constant-time compare)."""
        resolved = self.resolve_key(access_key_id) if access_key_id and secret else None
        if resolved is None:
            return None
        stored, account_id = resolved
        if not hmac.compare_digest(stored.encode(), secret.encode()):
            return None
        # A new CSRF token with the new session: a token seen before sign-in is worth nothing after.
        return Session(csrf=sessions.anonymous().csrf, issued_at=time.time(), account_id=account_id,
                       access_key_id=access_key_id, key_check=self.codec.key_check(stored), region=region)

    def _finish(self, request: Request, response: Response) -> Response:
        new: Session | None = getattr(request.state, "new_session", None)
        if new is not None:
            response.headers.append("set-cookie", sessions.cookie_header(
                self.codec.dumps(new), request.url.scheme == "https"))
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response

    # -- forms and CSRF --------------------------------------------------------------------
    async def form(self, request: Request) -> FormData:
        """The request's urlencoded form (read once; at most 1 MiB)."""
        cached: FormData | None = getattr(request.state, "form", None)
        if cached is not None:
            return cached
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            body = b""
        pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(body.decode("utf-8", "replace"),
                                                                   keep_blank_values=True))
        form = FormData(pairs)
        request.state.form = form
        return form

    async def csrf_ok(self, request: Request) -> bool:
        """True when the form field or the htmx header carries the session's CSRF token."""
        expected = self.session(request).csrf
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            given = str((await self.form(request)).get(CSRF_FIELD) or "")
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    # -- rendering -------------------------------------------------------------------------
    def render(self, request: Request, name: str, context: dict[str, Any] | None = None,
               status: int = 200) -> Response:
        """Render a template with what every page needs (user, CSRF token, regions, section)."""
        current = self.session(request)
        values: dict[str, Any] = {
            "user": self.user(request),
            "csrf": current.csrf,
            "regions": self.regions,
            "path": request.url.path,
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, name, values, status_code=status)
        return self._finish(request, response)

    def redirect(self, request: Request, url: str) -> Response:
        """A 303 to `url` (after a POST the browser GETs it)."""
        return self._finish(request, RedirectResponse(url, status_code=303))

    def error(self, request: Request, status: int, title: str, message: str, fragment: bool = False) -> Response:
        """An error page (or fragment) with `status`."""
        name = "_error.html" if fragment else "error.html"
        return self.render(request, name, {"title": title, "message": message}, status)

    # -- service calls ---------------------------------------------------------------------
    async def call(self, user: User, method: Callable[..., Any], *args: Any) -> Any:
        """`method(caller, *args)` in a worker thread, as the session's account and region."""
        caller = user.caller()
        return await anyio.to_thread.run_sync(lambda: method(caller, *args))

    # -- endpoint wrappers -----------------------------------------------------------------
    def page(self, handler: Handler) -> Endpoint:
        """A full page: needs a session (else redirect to sign-in)."""
        return self._wrap(handler, fragment=False, check_csrf=False)

    def fragment(self, handler: Handler) -> Endpoint:
        """An htmx fragment: needs a session (else 401 with HX-Redirect to sign-in)."""
        return self._wrap(handler, fragment=True, check_csrf=False)

    def action(self, handler: Handler, fragment: bool = False) -> Endpoint:
        """A POST: needs a session and the CSRF token (else 403)."""
        return self._wrap(handler, fragment=fragment, check_csrf=True)

    def _wrap(self, handler: Handler, fragment: bool, check_csrf: bool) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            user = self.user(request)
            if user is None:
                return self.not_signed_in(request, fragment)
            if (check_csrf or request.method not in ("GET", "HEAD")) and not await self.csrf_ok(request):
                return self.error(request, 403, "Refused",
                                  "The form's security token is missing or out of date. Reload the page and "
                                  "try again.", fragment)
            try:
                return self._finish(request, await handler(request, user))
            except ResourceNotFoundException as exc:
                return self.error(request, 404, "Not found", exc.message, fragment)
            except ServiceError as exc:
                return self.error(request, exc.status, exc.code, exc.message, fragment)
            except Exception:
                rid = str(uuid.uuid4())
                log.exception("console request %s (%s %s) failed", rid, request.method, request.url.path)
                return self.error(request, 500, "Something went wrong",
                                  f"An internal error occurred (request id {rid}).", fragment)

        return endpoint

    def not_signed_in(self, request: Request, fragment: bool) -> Response:
        """Where a request without a session goes: 401 for fragments, the sign-in page for pages."""
        if fragment or request.headers.get("hx-request") == "true":
            response = self.error(request, 401, "Signed out", "Sign in to continue.", fragment=True)
            response.headers["hx-redirect"] = SIGN_IN
            return response
        target = SIGN_IN
        if request.method == "GET" and request.url.path != HOME:
            target += "?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                                       safe="")
        return self.redirect(request, target)


SECURITY_HEADERS = (
    # Everything the console loads is its own: no inline script, no framing, no third parties.
    ("content-security-policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
)


def safe_next(target: str | None) -> str:
    """A post-sign-in destination inside the console only (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


# -- template filters ------------------------------------------------------------------------
def when(value: Any) -> str:
    """An epoch or datetime as `2026-12-05 08:20:01 UTC` ('' for none)."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(start: Any, end: Any = None) -> str:
    """Seconds between two epochs (or until now) as `1 m 05 s`."""
    if start is None:
        return ""
    seconds = max(0.0, float(end if end is not None else time.time()) - float(start))
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"


def size(value: Any) -> str:
    """A byte count as `12.3 MiB`."""
    amount = float(value or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{int(amount)} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"


def count(value: Any) -> str:
    """A number with thousands separators ('' for none)."""
    return "" if value is None else f"{int(value):,}"


def urlpart(value: Any) -> str:
    """A value quoted for one path segment (flow names may hold # ! @)."""
    return quote(str(value), safe="")
