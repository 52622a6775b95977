"""The console's session cookie: signed, HttpOnly, SameSite=Strict (API layer, console).

A session is a small JSON object in the cookie itself, signed with HMAC-SHA256 under a key the
master key derives (`SecretBox.derive("console-session")`), so every server process sharing the
store accepts it and rotating the master key ends every session. It is signed, not encrypted: it
holds no secret, only the account id, the access key id, a check value of the secret (an HMAC,
so a changed secret ends the session), the region, the CSRF token and when it was issued.

A browser without a session gets an anonymous one (a CSRF token only) so the sign-in form is
protected like every other form; signing in issues a new token (no session fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

COOKIE = "sluice_console"
COOKIE_PATH = "/console"
MAX_AGE_SECONDS = 12 * 3600  # a console session lasts a working day, then the keys are asked again


@dataclass(frozen=True, slots=True)
class Session:
    """What the cookie says; `account_id` is None until the browser signs in."""

    csrf: str
    issued_at: float
    account_id: str | None = None
    access_key_id: str | None = None
    key_check: str | None = None
    region: str | None = None

    @property
    def signed_in(self) -> bool:
        """True once sign-in succeeded."""
        return self.account_id is not None

    def with_region(self, region: str) -> Session:
        """The same session in another region."""
        return replace(self, region=region)


def anonymous() -> Session:
    """A fresh session that is not signed in (it carries a CSRF token for the sign-in form)."""
    return Session(csrf=secrets.token_urlsafe(24), issued_at=time.time())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Turns sessions into cookie values and back, refusing anything not signed by this key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        """The cookie value for `session`."""
        payload = _b64(json.dumps(asdict(session), separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def loads(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie value; None when absent, tampered with, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            fields: dict[str, Any] = json.loads(_unb64(payload))
            session = Session(**fields)
        except (ValueError, TypeError):
            return None
        if (now or time.time()) - session.issued_at > MAX_AGE_SECONDS:
            return None
        return session

    def key_check(self, secret: str) -> str:
        """A value that changes when the account's secret does (the secret itself never goes in)."""
        return _b64(hmac.new(self._key, f"secret:{secret}".encode(), hashlib.sha256).digest()[:16])


def cookie_header(value: str, secure: bool) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Strict, scoped to /console, Secure over https."""
    parts = [f"{COOKIE}={value}", f"Path={COOKIE_PATH}", f"Max-Age={MAX_AGE_SECONDS}", "HttpOnly",
             "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
