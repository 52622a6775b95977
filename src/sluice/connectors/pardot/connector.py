"""The Pardot connector: API host, Salesforce OAuth, error bodies and the profile check (connectors layer, Pardot).

Declared on the shared REST layer (connectors/rest/); objects.py declares the objects. Salesforce's docs:

* https://developer.salesforce.com/docs/marketing/pardot/guide/version5overview.html - v5 calls go to
  `https://pi.pardot.com` (`https://pi.demo.pardot.com` for developer orgs and sandboxes) with
  `Authorization: Bearer <Salesforce access token>` and `Pardot-Business-Unit-Id: <0Uv...>`; errors are
  `{"code": <number>, "message": "..."}`;
* https://developer.salesforce.com/docs/marketing/pardot/guide/authentication.html - tokens come from
  Salesforce OAuth (login.salesforce.com, test.salesforce.com for sandboxes) with the `pardot_api` scope;
* https://developer.salesforce.com/docs/marketing/pardot/guide/error-codes.html - 184 (invalid or expired
  access token, HTTP 401), 181 (business unit id missing or invalid), 66 (more than five concurrent
  requests, HTTP 429), 122 (the daily request limit is used up, HTTP 429).

AppFlow's `PardotConnectorProfileProperties.instanceUrl` is the org's Salesforce instance; the API host
is Pardot's whatever it says, so calls go to `SLUICE_ENDPOINT_URL_PARDOT` when set, else pi.pardot.com
(pi.demo.pardot.com with `isSandboxEnvironment`). Tokens are refreshed at the Salesforce login host the
Salesforce connector uses (`SLUICE_SALESFORCE_LOGIN_URL` / `SLUICE_SALESFORCE_SANDBOX_LOGIN_URL`), as
Sluice's connected app (`SLUICE_SALESFORCE_CLIENT_ID` / `_SECRET`) or the app the profile's
`clientCredentialsArn` secret names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ProfileView
from sluice.connectors.pardot import CAPABILITIES, CONNECTOR_TYPE, objects
from sluice.connectors.rest.api import RestApi, VendorError, default_classify, json_error
from sluice.connectors.rest.auth import Bearer, TokenGrant
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Static
from sluice.connectors.salesforce import settings as salesforce

PRODUCTION_URL = "https://pi.pardot.com"
SANDBOX_URL = "https://pi.demo.pardot.com"
TOKEN_PATH = "/services/oauth2/token"
HOSTS = ("pardot.com", *salesforce.HOSTS)
# Private keys the connected app's id and secret travel under while a token is requested (never stored).
_CLIENT = ("sluiceClientId", "sluiceClientSecret")


def is_sandbox(profile: ProfileView) -> bool:
    """`isSandboxEnvironment`, as a flag."""
    return str(profile.properties.get("isSandboxEnvironment") or "").lower() == "true"


def base_url(profile: ProfileView) -> str:
    """Pardot's API host: the operator's override, else production or demo by `isSandboxEnvironment`."""
    return outbound.endpoint_override(CONNECTOR_TYPE) or (SANDBOX_URL if is_sandbox(profile) else PRODUCTION_URL)


@dataclass(frozen=True)
class PardotAuth(Bearer):
    """Salesforce bearer tokens plus the `Pardot-Business-Unit-Id` header; renewed at the Salesforce
    login host with the connected app's id and secret added to the grant only."""

    business_unit: str = ""
    aws: Any = None
    client_arn: str = ""

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        super().apply(credentials, request)
        request.headers["Pardot-Business-Unit-Id"] = self.business_unit

    def renew(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        return self._bare(super().renew(self._with_client(credentials), http, base_url))

    def authorize(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        return self._bare(super().authorize(self._with_client(credentials), http, base_url))

    def _with_client(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        client: tuple[str | None, str | None]
        if self.client_arn:
            from sluice.connectors.salesforce.auth import read_client_secret

            client = read_client_secret(self.client_arn, self.aws)
        else:
            client = salesforce.app_client()
        return {**credentials, _CLIENT[0]: client[0] or "", _CLIENT[1]: client[1] or ""}

    @staticmethod
    def _bare(credentials: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in credentials.items() if k not in _CLIENT}


def auth_for(profile: ProfileView) -> PardotAuth:
    """The profile's bearer auth: its business unit, and the login host of its environment."""
    login = salesforce.login_url(is_sandbox(profile)).rstrip("/") + TOKEN_PATH
    grant = TokenGrant(token_url=lambda base, credentials: login, client_id_key=_CLIENT[0],
                       client_secret_key=_CLIENT[1])
    return PardotAuth(grant=grant, business_unit=str(profile.properties.get("businessUnitId") or ""),
                      aws=profile.aws, client_arn=str(profile.credentials.get("clientCredentialsArn") or ""))


def pardot_error(response: httpx.Response, body: Any) -> VendorError:
    """v5's `{"code": 184, "message": "..."}` (the code is a number), else the common shapes."""
    if isinstance(body, Mapping) and "code" in body and "message" in body:
        return VendorError(str(body["code"]), str(body["message"]), response.status_code)
    return json_error(response, body)


def classify(error: VendorError) -> str:
    """184 and 401 -> credentials; 181 (business unit) -> invalid argument; 66/122 -> throttling."""
    if error.code == "181":
        return "InvalidArgument"
    if error.code in ("66", "122"):
        return "ThrottlingError"
    if error.code == "184":
        return "InvalidCredentials"
    return default_classify(error)


def throttled(error: VendorError) -> bool:
    """Over the concurrency limit (66, or a 429): retried; the daily limit (122) is not - it resets tomorrow."""
    return error.code != "122" and (error.status == 429 or error.code == "66")


@dataclass(frozen=True)
class PardotApi(RestApi):
    """`RestApi` whose known hosts include the Salesforce login hosts the operator configured."""

    def vendor_hosts(self) -> tuple[str, ...]:
        return (*super().vendor_hosts(), *salesforce.vendor_hosts())


API = PardotApi(CONNECTOR_TYPE, "Pardot", hosts=HOSTS, auth=auth_for, base_url=base_url, errors=pardot_error,
                classify=classify, throttled=throttled)

CONNECTOR = RestConnector(API, Static(objects.OBJECTS, vendor="Pardot"),
                          operators=frozenset(CAPABILITIES["supportedOperators"]),
                          check=Request("GET", "/api/v5/objects/users", {"fields": "id", "limit": 1}))
