"""How requests to a vendor are authenticated (connectors layer, shared REST layer).

An `Auth` puts a profile's credentials on each request (`apply`) and, when the vendor says the
token is invalid or expired, gets new credentials (`renew`); the client then re-seals them in the
profile (`ProfileView.save_credentials`) so the next run starts with the new token. Schemes:

* `Bearer` - `Authorization: Bearer <accessToken>`, renewed by an OAuth 2.0 `refresh_token` grant
  (`OAuthRefresh`) or a `client_credentials` grant (`ClientCredentials`, Marketo's identity
  service), or not at all (a long-lived token: a refusal is final);
* `HeaderKeys` - API keys in headers (Datadog's `DD-API-KEY` / `DD-APPLICATION-KEY`), or a token
  with a scheme word (`TokenHeader`: Dynatrace's `Api-Token`);
* `Basic` - HTTP basic with a user name and password (ServiceNow).

Secrets appear only on the wire: never in messages, logs or exceptions.
"""

from __future__ import annotations

import base64
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson

from sluice.connectors.base import ConnectorError


class Auth(ABC):
    """Base of the schemes: `apply` credentials to a request; `renew` them when the vendor refuses."""

    renewable = False

    @abstractmethod
    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        """Put the credentials on `request` (headers or query)."""

    def needs_token(self, credentials: Mapping[str, Any]) -> bool:
        """True when a token must be obtained before the first request."""
        return False

    def renew(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        """New credentials (the old ones with a new token); `InvalidCredentials` when refused."""
        raise ConnectorError("InvalidCredentials", "the credentials were refused and cannot be renewed")


def credential(credentials: Mapping[str, Any], key: str) -> Any:
    """A credential by key, as stored; a dotted key reads a nested member (`oAuth2Credentials.accessToken`)."""
    current: Any = credentials
    for part in key.split("."):
        current = current.get(part) if isinstance(current, Mapping) else None
    return current


def _value(credentials: Mapping[str, Any], key: str) -> str:
    """A credential by (dotted) key as text; "" when absent."""
    current = credential(credentials, key)
    return "" if current is None else str(current)


def _with(credentials: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `credentials` with `key` (dotted for a nested member) set to `value`."""
    result = dict(credentials)
    parts = key.split(".")
    target = result
    for part in parts[:-1]:
        inner = dict(target.get(part) or {})
        target[part] = inner
        target = inner
    target[parts[-1]] = value
    return result


def without(credentials: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A copy of `credentials` without `key` (dotted for a nested member)."""
    parent, _, last = key.rpartition(".")
    if parent and not isinstance(credential(credentials, parent), Mapping):
        return dict(credentials)
    result = _with(credentials, parent, dict(credential(credentials, parent))) if parent else dict(credentials)
    target: Any = credential(result, parent) if parent else result
    target.pop(last, None)
    return result


@dataclass(frozen=True)
class TokenGrant:
    """An OAuth 2.0 token request: where, which grant, and which credential keys feed it."""

    # (base URL, credentials) -> token endpoint URL.
    token_url: Callable[[str, Mapping[str, Any]], str]
    grant_type: str = "refresh_token"
    client_id_key: str = "clientId"
    client_secret_key: str = "clientSecret"
    refresh_token_key: str = "refreshToken"
    # "form": POST form body with client id and secret in it; "basic": POST form body with the
    # client in HTTP basic auth; "query": GET with everything in the query (Marketo's identity).
    style: str = "form"
    extra: Mapping[str, str] = field(default_factory=dict)

    def request(self, http: httpx.Client, base_url: str, credentials: Mapping[str, Any]) -> Mapping[str, Any]:
        """Send the grant; the token answer (a JSON object) or `InvalidCredentials` with the reason."""
        url = self.token_url(base_url, credentials)
        form: dict[str, str] = {"grant_type": self.grant_type, **self.extra}
        if self.grant_type == "refresh_token":
            refresh = _value(credentials, self.refresh_token_key)
            if not refresh:
                raise ConnectorError("InvalidCredentials", "the access token was refused and the profile has no "
                                     "refresh token; authorize the connector profile again")
            form["refresh_token"] = refresh
        client_id = _value(credentials, self.client_id_key)
        secret = _value(credentials, self.client_secret_key)
        headers = {"Accept": "application/json"}
        try:
            if self.style == "query":
                response = http.get(url, params={**form, "client_id": client_id, "client_secret": secret},
                                    headers=headers)
            elif self.style == "basic":
                basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
                response = http.post(url, data=form, headers={**headers, "Authorization": f"Basic {basic}"})
            else:
                response = http.post(url, data={**form, "client_id": client_id, "client_secret": secret},
                                     headers=headers)
        except httpx.HTTPError:
            from sluice.connectors.outbound import unreachable

            raise unreachable("the token endpoint", url) from None
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            body = {}
        if response.status_code != 200 or not isinstance(body, Mapping) or not body.get("access_token"):
            reason = ""
            if isinstance(body, Mapping):
                reason = str(body.get("error_description") or body.get("error") or body.get("message") or "")
            raise ConnectorError("InvalidCredentials", f"the token endpoint refused the {self.grant_type} grant "
                                 f"(HTTP {response.status_code}{': ' + reason if reason else ''})")
        return body


@dataclass(frozen=True)
class Bearer(Auth):
    """`Authorization: Bearer <token>`; renewed by `grant` when one is given."""

    token_key: str = "accessToken"
    grant: TokenGrant | None = None
    # Where a renewed refresh token is kept (OAuth servers may rotate it).
    refresh_token_key: str = "refreshToken"
    # Credential key holding the token's expiry (epoch seconds), so an expired token is renewed
    # before it is sent; "" when the vendor gives none.
    expiry_key: str = "sluiceTokenExpiresAt"
    scheme: str = "Bearer"

    @property
    def renewable(self) -> bool:  # type: ignore[override]
        return self.grant is not None

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        request.headers["Authorization"] = f"{self.scheme} {_value(credentials, self.token_key)}"

    def needs_token(self, credentials: Mapping[str, Any]) -> bool:
        if self.grant is None:
            return False
        if not _value(credentials, self.token_key):
            return True
        expiry = credentials.get(self.expiry_key) if self.expiry_key else None
        return isinstance(expiry, int | float) and expiry - 30 < time.time()

    def renew(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        if self.grant is None:
            return super().renew(credentials, http, base_url)
        return self.keep(credentials, self.grant.request(http, base_url, credentials))

    def authorize(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        """Exchange the `oAuthRequest` (authCode, redirectUri) stored beside the token for tokens; the
        credentials with them and without the request. Unchanged when there is no code or no grant."""
        request_key = self.request_key
        request = credential(credentials, request_key)
        if self.grant is None or not isinstance(request, Mapping) or not request.get("authCode"):
            return dict(credentials)
        grant = replace(self.grant, grant_type="authorization_code", extra={
            "code": str(request["authCode"]), "redirect_uri": str(request.get("redirectUri") or "")})
        return without(self.keep(credentials, grant.request(http, base_url, credentials)), request_key)

    @property
    def request_key(self) -> str:
        """Where AppFlow puts an authorization code for this token: `oAuthRequest` beside it."""
        parent = self.token_key.rpartition(".")[0]
        return f"{parent}.oAuthRequest" if parent else "oAuthRequest"

    def keep(self, credentials: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
        """`credentials` with the tokens (and expiry) of a token endpoint's answer."""
        renewed = _with(credentials, self.token_key, str(answer["access_token"]))
        if answer.get("refresh_token"):
            renewed = _with(renewed, self.refresh_token_key, str(answer["refresh_token"]))
        expires_in = answer.get("expires_in")
        if self.expiry_key and isinstance(expires_in, int | float) and expires_in > 0:
            renewed[self.expiry_key] = time.time() + float(expires_in)
        return renewed


def refresh_grant(token_url: Callable[[str, Mapping[str, Any]], str], **options: Any) -> TokenGrant:
    """An OAuth 2.0 `refresh_token` grant at `token_url(base_url, credentials)`."""
    return TokenGrant(token_url=token_url, grant_type="refresh_token", **options)


def client_credentials_grant(token_url: Callable[[str, Mapping[str, Any]], str], **options: Any) -> TokenGrant:
    """An OAuth 2.0 `client_credentials` grant at `token_url(base_url, credentials)`."""
    return TokenGrant(token_url=token_url, grant_type="client_credentials", **options)


@dataclass(frozen=True)
class HeaderKeys(Auth):
    """Credentials sent as headers: {header name: credential key}."""

    headers: Mapping[str, str] = field(default_factory=dict)

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        for header, key in self.headers.items():
            request.headers[header] = _value(credentials, key)


@dataclass(frozen=True)
class TokenHeader(Auth):
    """`Authorization: <scheme> <credential>` for a long-lived token (Dynatrace's `Api-Token`)."""

    key: str = "apiToken"
    scheme: str = "Api-Token"

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        request.headers["Authorization"] = f"{self.scheme} {_value(credentials, self.key)}"


@dataclass(frozen=True)
class Basic(Auth):
    """HTTP basic authentication with a user name and a password."""

    username_key: str = "username"
    password_key: str = "password"

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        pair = f"{_value(credentials, self.username_key)}:{_value(credentials, self.password_key)}"
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
