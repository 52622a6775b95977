"""Tokens of the fake workspace: bot tokens with scopes, token rotation, and the OAuth v2 app.

As Slack documents (https://docs.slack.dev/authentication/tokens,
https://docs.slack.dev/authentication/using-token-rotation,
https://docs.slack.dev/reference/methods/oauth.v2.access):
- a token goes in `Authorization: Bearer <token>`, or as the `token` field of a form-encoded POST body;
  apps created after 2021-02-24 may not send it in the query string, and this fake behaves as such an
  app (a query-string token is ignored, so the call is `not_authed`);
- bot tokens look like `xoxb-<team>-<bot>-<secret>`; with rotation on they are `xoxe.xoxb-1-...`, expire
  after `expires_in` seconds (12 hours) and are answered `token_expired` afterwards;
- `oauth.v2.access` with `grant_type=refresh_token` swaps a refresh token (`xoxe-1-...`) for a new access
  token and a new refresh token, revoking the old refresh token; client credentials go in HTTP Basic
  auth or in the `client_id` / `client_secret` fields.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SlackError

READ_SCOPES = ("channels:history", "channels:read", "groups:history", "groups:read", "im:history", "im:read",
               "mpim:history", "mpim:read", "users:read", "users:read.email")
ROTATING_TTL = 43200  # seconds: 12 hours, as documented for rotating tokens


@dataclass
class Token:
    """One access token: its scopes, expiry (None: never) and whether it was revoked."""

    value: str
    scopes: tuple[str, ...]
    expires_at: float | None
    revoked: bool = False


class Auth:
    """The workspace's issued tokens, its OAuth app's credentials, pending codes and refresh tokens."""

    def __init__(self, team_number: int = 1234567890, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.team_number = team_number
        self.client_id = f"{team_number}.{team_number // 7 + 4242}"
        self.client_secret = secrets.token_hex(16)
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, tuple[str, ...]] = {}  # refresh token -> scopes
        self.codes: dict[str, tuple[str | None, bool]] = {}  # code -> (redirect_uri, rotating)

    # -- issuing (test controls) ---------------------------------------------------------------------------------
    def issue_token(self, scopes: tuple[str, ...] = READ_SCOPES, ttl: float | None = None,
                    token: str | None = None) -> str:
        """A bot token with `scopes`; `ttl` seconds of life (None: does not expire, as without rotation)."""
        value = token or f"xoxb-{self.team_number}-{secrets.randbelow(10 ** 12)}-{secrets.token_urlsafe(18)}"
        with self._lock:
            self.tokens[value] = Token(value, tuple(scopes), None if ttl is None else self.clock() + ttl)
        return value

    def issue_rotating(self, scopes: tuple[str, ...] = READ_SCOPES, ttl: float = ROTATING_TTL) -> tuple[str, str]:
        """An expiring access token and its refresh token, as an app with token rotation holds them."""
        access = self.issue_token(scopes, ttl,
                                  token=f"xoxe.xoxb-1-{secrets.token_urlsafe(24)}")
        refresh = f"xoxe-1-{secrets.token_urlsafe(32)}"
        with self._lock:
            self.refresh_tokens[refresh] = tuple(scopes)
        return access, refresh

    def issue_code(self, redirect_uri: str | None = None, rotating: bool = False) -> str:
        """A one-time authorization code, as Slack's consent screen would send to `redirect_uri`."""
        code = f"{self.team_number}.{secrets.randbelow(10 ** 12)}.{secrets.token_hex(16)}"
        with self._lock:
            self.codes[code] = (redirect_uri, rotating)
        return code

    def expire_tokens(self) -> None:
        """Every issued access token is now past its expiry (calls answer `token_expired`)."""
        with self._lock:
            past = self.clock() - 1
            for token in self.tokens.values():
                token.expires_at = past

    def revoke(self, value: str) -> None:
        """Revoke one access token (calls answer `token_revoked`)."""
        with self._lock:
            self.tokens[value].revoked = True

    # -- checking ------------------------------------------------------------------------------------------------
    def check(self, value: str | None) -> Token:
        """The token a call presents, or the Slack error for it."""
        if not value:
            raise SlackError("not_authed")
        with self._lock:
            token = self.tokens.get(value)
        if token is None:
            raise SlackError("invalid_auth")
        if token.revoked:
            raise SlackError("token_revoked")
        if token.expires_at is not None and self.clock() >= token.expires_at:
            raise SlackError("token_expired")
        return token

    def exchange(self, args: dict[str, str], basic: str | None) -> dict[str, object]:
        """`oauth.v2.access`: a code or a refresh token for tokens (the body of a successful answer)."""
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if basic:
            try:
                client_id, _, client_secret = base64.b64decode(basic).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise SlackError("invalid_client_id") from None
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        grant = args.get("grant_type") or "authorization_code"
        if grant == "refresh_token":
            with self._lock:
                scopes = self.refresh_tokens.pop(args.get("refresh_token") or "", None)
            if scopes is None:
                raise SlackError("invalid_refresh_token")
            access, refresh = self.issue_rotating(scopes)
            return {"access_token": access, "refresh_token": refresh, "expires_in": ROTATING_TTL,
                    "scope": ",".join(scopes)}
        if grant != "authorization_code":
            raise SlackError("invalid_grant_type")
        with self._lock:
            pending = self.codes.pop(args.get("code") or "", None)
        if pending is None:
            raise SlackError("invalid_code")
        redirect_uri, rotating = pending
        if redirect_uri is not None and args.get("redirect_uri") != redirect_uri:
            raise SlackError("bad_redirect_uri")
        if rotating:
            access, refresh = self.issue_rotating()
            return {"access_token": access, "refresh_token": refresh, "expires_in": ROTATING_TTL,
                    "scope": ",".join(READ_SCOPES)}
        return {"access_token": self.issue_token(), "scope": ",".join(READ_SCOPES)}
