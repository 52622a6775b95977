"""Credentials of the fake Zendesk account: OAuth clients, grant-type tokens, API tokens.

Follows "OAuth Tokens for Grant Types" (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/):
`POST /oauth/tokens` with `grant_type` `authorization_code`, `refresh_token` or `client_credentials`;
`expires_in` must lie in 300..172800 s and defaults to no expiry; `refresh_token_expires_in`
lies in 604800..7776000 s and defaults to 30 days; a refresh returns a new token pair and
deletes the old one. The `read` scope allows GETs, `write` allows POST/PUT/DELETE. API tokens
authenticate with Basic `{email}/token:{api_token}` ("Security and authentication").
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

DEFAULT_REFRESH_TTL = 2_592_000


@dataclass
class Token:
    """An access token with its refresh token, scopes and expiries (epoch seconds, None: never)."""

    access: str
    refresh: str | None
    scopes: frozenset[str]
    client_id: str | None
    expires_at: float | None
    refresh_expires_at: float | None
    revoked: bool = False


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    client_id: str
    scope: str
    redirect_uri: str | None
    expires_at: float


@dataclass
class Auth:
    """Every credential the account accepts."""

    clients: dict[str, str] = field(default_factory=lambda: {"sluice": "sluice-secret"})
    api_tokens: dict[str, str] = field(default_factory=lambda: {"admin@company.example": "api-token-1"})
    tokens: dict[str, Token] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    redirect_urls: dict[str, list[str]] = field(default_factory=dict)  # client id -> allowed (empty: any)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, scope: str = "read write", client_id: str | None = None, expires_in: float | None = None,
              refresh_expires_in: float | None = DEFAULT_REFRESH_TTL, token: str | None = None) -> Token:
        """Mint a token pair (tests use this to skip the browser part of OAuth)."""
        now = time.time()
        issued = Token(access=token or secrets.token_hex(32), refresh=secrets.token_hex(32),
                       scopes=frozenset(scope.split()), client_id=client_id,
                       expires_at=None if expires_in is None else now + expires_in,
                       refresh_expires_at=None if refresh_expires_in is None else now + refresh_expires_in)
        with self.lock:
            self.tokens[issued.access] = issued
        return issued

    def authorization_code(self, client_id: str = "sluice", scope: str = "read write",
                           redirect_uri: str | None = None) -> str:
        """An authorization code, as Zendesk hands one to the redirect URI after the user consents."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.grants[code] = Grant(client_id, scope, redirect_uri, time.time() + 120)
        return code

    def take_grant(self, code: str) -> Grant | None:
        """The unexpired grant for `code`, used up."""
        with self.lock:
            grant = self.grants.pop(code, None)
        return grant if grant is not None and grant.expires_at > time.time() else None

    def by_refresh(self, refresh: str) -> Token | None:
        """The live token whose refresh token is `refresh`."""
        with self.lock:
            for token in self.tokens.values():
                alive = token.refresh_expires_at is None or token.refresh_expires_at > time.time()
                if token.refresh == refresh and not token.revoked and alive:
                    return token
        return None

    def revoke(self, token: Token) -> None:
        """Delete a token (a refresh replaces the old pair)."""
        with self.lock:
            token.revoked = True
            self.tokens.pop(token.access, None)

    def bearer(self, access: str) -> Token | None:
        """The live token for a bearer value, or None when unknown, revoked or expired."""
        with self.lock:
            token = self.tokens.get(access)
        if token is None or token.revoked:
            return None
        if token.expires_at is not None and token.expires_at <= time.time():
            return None
        return token

    def api_token_ok(self, user: str, password: str) -> bool:
        """Whether Basic credentials `{email}/token` + `password` name a valid API token."""
        email, _, kind = user.rpartition("/")
        return kind == "token" and self.api_tokens.get(email) == password

    def expire_all(self) -> None:
        """Expire every access token now (refresh tokens keep working)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = time.time() - 1
