"""Who may call the fake instance: basic-auth users with roles, OAuth clients and tokens.

ServiceNow's OAuth endpoint (`/oauth_token.do`) issues an access token (default lifetime 1800 s) and a
refresh token (default 100 days) for the `password` grant; the `refresh_token` grant returns a new access
token and the same refresh token. A password grant made while the user's access token is still valid
hands back that same token (docs: "OAuth API request parameters").
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field

from .errors import not_authenticated


class OAuthError(Exception):
    """A token-endpoint failure, answered as `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@dataclass
class User:
    """A `sys_user` who can log in, with roles deciding which tables it may read."""

    user_name: str
    password: str
    roles: frozenset[str] = field(default_factory=frozenset)
    locked_out: bool = False


@dataclass
class Token:
    user: str
    client_id: str
    expires_at: float


class Auth:
    """Users, OAuth clients, access and refresh tokens. Thread-safe."""

    ADMIN = "admin"
    ADMIN_PASSWORD = "Sluice-admin-pw1"
    CLIENT_ID = "sluice-client"
    CLIENT_SECRET = "sluice-secret"

    def __init__(self, token_ttl: float = 1800, refresh_ttl: float = 8_640_000) -> None:
        self._lock = threading.RLock()
        self.token_ttl = token_ttl
        self.refresh_ttl = refresh_ttl
        self.users: dict[str, User] = {}
        self.clients: dict[str, str] = {self.CLIENT_ID: self.CLIENT_SECRET}
        self.access: dict[str, Token] = {}
        self.refresh: dict[str, Token] = {}
        self.codes: dict[str, tuple[str, str, str]] = {}  # code -> (client_id, redirect_uri, user)
        self.add_user(self.ADMIN, self.ADMIN_PASSWORD, {"admin"})
        self.add_user("itil.user", "Itil-user-pw1", {"itil"})

    def add_user(self, user_name: str, password: str, roles: set[str] | frozenset[str] = frozenset(),
                 locked_out: bool = False) -> None:
        """Add (or replace) a user who can authenticate."""
        with self._lock:
            self.users[user_name] = User(user_name, password, frozenset(roles), locked_out)

    def roles(self, user_name: str) -> frozenset[str]:
        with self._lock:
            user = self.users.get(user_name)
            return user.roles if user else frozenset()

    # -- request authentication
    def authenticate(self, header: str | None) -> str:
        """The user behind an `Authorization` header (Basic or Bearer), else a 401 ServiceNowError."""
        scheme, _, credentials = (header or "").strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "basic":
            try:
                user_name, _, password = base64.b64decode(credentials).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise not_authenticated() from None
            if self._password_ok(user_name, password):
                return user_name
        elif scheme.lower() == "bearer":
            with self._lock:
                token = self.access.get(credentials)
                if token is not None and token.expires_at > time.time():
                    return token.user
        raise not_authenticated()

    def _password_ok(self, user_name: str, password: str) -> bool:
        with self._lock:
            user = self.users.get(user_name)
            return (user is not None and not user.locked_out
                    and secrets.compare_digest(user.password.encode(), password.encode()))

    # -- tokens
    def issue(self, user: str, client_id: str = CLIENT_ID, ttl: float | None = None) -> str:
        """A new access token for `user` (no OAuth round trip), valid `ttl` seconds."""
        token = secrets.token_urlsafe(64)
        with self._lock:
            self.access[token] = Token(user, client_id, time.time() + (self.token_ttl if ttl is None else ttl))
        return token

    def expire_tokens(self) -> None:
        """Expire every access token now (refresh tokens stay valid)."""
        with self._lock:
            for token in self.access.values():
                token.expires_at = 0

    def expire_refresh_tokens(self) -> None:
        """Expire every refresh token now."""
        with self._lock:
            for token in self.refresh.values():
                token.expires_at = 0

    def add_auth_code(self, code: str, redirect_uri: str, user: str = ADMIN, client_id: str = CLIENT_ID) -> None:
        """Register a one-time authorization code, as if the user had just approved the client."""
        with self._lock:
            self.codes[code] = (client_id, redirect_uri, user)

    def grant(self, form: dict[str, str]) -> dict:
        """Answer a token request (password, refresh_token or authorization_code grant)."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        with self._lock:
            known = self.clients.get(client_id)
            if known is None or not secrets.compare_digest(known.encode(), secret.encode()):
                raise OAuthError(401, "server_error", "access_denied")
            grant_type = form.get("grant_type", "")
            if grant_type == "password":
                user = form.get("username", "")
                if not self._password_ok(user, form.get("password", "")):
                    raise OAuthError(401, "server_error", "access_denied")
                return self._tokens(user, client_id, current_ok=True)
            if grant_type == "refresh_token":
                refresh = self.refresh.get(form.get("refresh_token", ""))
                if refresh is None or refresh.client_id != client_id or refresh.expires_at <= time.time():
                    raise OAuthError(401, "server_error", "access_denied")
                token = self.issue(refresh.user, client_id)
                return self._answer(token, form["refresh_token"])
            if grant_type == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)
                if entry is None or entry[0] != client_id or entry[1] != form.get("redirect_uri", ""):
                    raise OAuthError(401, "server_error", "access_denied")
                return self._tokens(entry[2], client_id, current_ok=False)
            raise OAuthError(400, "unsupported_grant_type", f"grant type {grant_type or '(none)'} is not supported")

    def _tokens(self, user: str, client_id: str, current_ok: bool) -> dict:
        now = time.time()
        access = next((t for t, v in self.access.items()
                       if current_ok and v.user == user and v.client_id == client_id and v.expires_at > now), None)
        access = access or self.issue(user, client_id)
        refresh = secrets.token_urlsafe(64)
        self.refresh[refresh] = Token(user, client_id, now + self.refresh_ttl)
        return self._answer(access, refresh)

    def _answer(self, access: str, refresh: str) -> dict:
        left = int(self.access[access].expires_at - time.time()) - 1
        return {"access_token": access, "refresh_token": refresh, "scope": "useraccount", "token_type": "Bearer",
                "expires_in": max(left, 0)}
