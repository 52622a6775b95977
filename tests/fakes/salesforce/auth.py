"""Tokens, connected-app clients, authorization codes, refresh tokens and JWT keys of the fake org."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import jwt

from .errors import SalesforceError
from .schema import make_id

LOGIN_HOSTS = {"https://login.salesforce.com", "https://test.salesforce.com"}


class OAuthError(Exception):
    """A token-endpoint failure, answered as `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Session:
    user: str
    client_id: str
    expires_at: float


class Auth:
    """Who may call the org: access tokens (with expiry), clients, codes, refresh tokens, the JWT key."""

    DEFAULT_USER = "admin@sluice.test"

    def __init__(self, token_ttl: float = 7200) -> None:
        self._lock = threading.RLock()
        self.token_ttl = token_ttl
        self.org_id = make_id("00D", 1)
        self.clients: dict[str, str] = {"sluice-client": "sluice-secret"}
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> (client_id, user)
        self.auth_codes: dict[str, tuple[str, str]] = {}  # code -> (redirect_uri, user)
        self.jwt_public_key: str | None = None
        # None: accept the login hosts and the fake's own URL as JWT audience; a set: only those.
        self.jwt_audiences: set[str] | None = None
        self.users: dict[str, str] = {}

    # -- identities
    def user_id(self, user: str) -> str:
        """A stable 005 id per username."""
        with self._lock:
            return self.users.setdefault(user, make_id("005", len(self.users) + 1))

    def identity_url(self, base_url: str, user: str) -> str:
        return f"{base_url}/id/{self.org_id}/{self.user_id(user)}"

    def register_client(self, client_id: str, client_secret: str) -> None:
        """Add a connected app (consumer key and secret)."""
        with self._lock:
            self.clients[client_id] = client_secret

    # -- access tokens
    def issue_token(self, user: str = DEFAULT_USER, client_id: str = "sluice-client", ttl: float | None = None,
                    token: str | None = None) -> str:
        """A new access token (or the given `token` string), valid `ttl` seconds (default `token_ttl`)."""
        token = token or f"{self.org_id[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self.sessions[token] = Session(user, client_id, time.time() + (self.token_ttl if ttl is None else ttl))
        return token

    def issue_refresh_token(self, user: str, client_id: str) -> str:
        token = "5Aep" + secrets.token_urlsafe(60)
        with self._lock:
            self.refresh_tokens[token] = (client_id, user)
        return token

    def authenticate(self, authorization_header: str | None) -> str:
        """The user behind `Authorization: Bearer <token>` (OAuth also accepted), else 401 INVALID_SESSION_ID."""
        token = ""
        if authorization_header:
            scheme, _, rest = authorization_header.strip().partition(" ")
            if scheme.lower() in ("bearer", "oauth"):
                token = rest.strip()
        with self._lock:
            session = self.sessions.get(token)
            if session is None or session.expires_at <= time.time():
                raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            return session.user

    def expire_all_tokens(self) -> None:
        """Expire every access token (refresh tokens stay valid), as a session timeout would."""
        with self._lock:
            for session in self.sessions.values():
                session.expires_at = 0

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; False if unknown."""
        with self._lock:
            return self.sessions.pop(token, None) is not None or self.refresh_tokens.pop(token, None) is not None

    # -- grants
    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        with self._lock:
            if not client_id or client_id not in self.clients:
                raise OAuthError("invalid_client_id", "client identifier invalid")
            if client_secret is None or not secrets.compare_digest(self.clients[client_id], client_secret):
                raise OAuthError("invalid_client", "invalid client credentials")

    def add_auth_code(self, code: str, redirect_uri: str, user: str = DEFAULT_USER) -> None:
        """Register an authorization code (single use), as if a user had just approved the app."""
        with self._lock:
            self.auth_codes[code] = (redirect_uri, user)

    def redeem_auth_code(self, code: str | None, redirect_uri: str | None) -> str:
        """The user of a valid code; the code is used up."""
        with self._lock:
            entry = self.auth_codes.get(code or "")
            if entry is None:
                raise OAuthError("invalid_grant", "invalid authorization code")
            if entry[0] != redirect_uri:
                raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
            del self.auth_codes[code or ""]
            return entry[1]

    def redeem_refresh_token(self, token: str | None, client_id: str) -> str:
        with self._lock:
            entry = self.refresh_tokens.get(token or "")
            if entry is None or entry[0] != client_id:
                raise OAuthError("invalid_grant", "expired access/refresh token")
            return entry[1]

    def set_jwt_public_key(self, pem: str | bytes | None) -> None:
        """The certificate's public key (PEM) that JWT bearer assertions must be signed with."""
        with self._lock:
            self.jwt_public_key = pem.decode() if isinstance(pem, bytes) else pem

    def verify_jwt(self, assertion: str | None, own_url: str) -> tuple[str, str]:
        """(client_id, user) of a valid RS256 assertion: signature, `iss` client, `aud` login host, `exp`."""
        if not assertion or not self.jwt_public_key:
            raise OAuthError("invalid_grant", "invalid assertion")
        try:
            claims = jwt.decode(assertion, self.jwt_public_key, algorithms=["RS256"],
                                options={"verify_aud": False, "require": ["exp", "iss", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise OAuthError("invalid_grant", "expired authorization code") from exc
        except jwt.PyJWTError as exc:
            raise OAuthError("invalid_grant", "invalid assertion") from exc
        if claims["iss"] not in self.clients:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        allowed = self.jwt_audiences if self.jwt_audiences is not None else LOGIN_HOSTS | {own_url.rstrip("/")}
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in auds):
            raise OAuthError("invalid_grant", "audience is invalid")
        if not claims["sub"]:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return claims["iss"], claims["sub"]
