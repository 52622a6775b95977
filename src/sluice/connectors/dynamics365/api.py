"""How Sluice reaches a Dynamics 365 environment (connectors layer, Microsoft Dynamics 365).

* Base URL: the profile's `profileProperties.instanceUrl` (the environment's URL, e.g.
  `https://contoso.crm.dynamics.com`) + `/api/data/v9.2`, the Dataverse Web API
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview); every request
  carries `OData-MaxVersion: 4.0` and `OData-Version: 4.0` as Microsoft's examples do.
* Auth: `Authorization: Bearer <oauth2.accessToken>`; when Dataverse answers 401 (with a
  `WWW-Authenticate: Bearer authorization_uri=...` challenge) the token is renewed once with the
  refresh token at the profile's `oAuth2Properties.tokenUrl` (the Microsoft identity platform's
  `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, client id and secret in the
  form, scope `<instanceUrl>/.default offline_access`:
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token).
* Errors: Dataverse's `{"error": {"code": "0x80040217", "message": "..."}}`
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors);
  service protection limits answer 429 with `Retry-After` in seconds
  (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits), retried by the REST layer.
* Hosts: Dynamics 365's (`*.dynamics.com` and the sovereign clouds') for the environment and the
  Microsoft identity platform's for tokens. `SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365` (tests,
  proxies) replaces the scheme and host of both, keeping their paths, as the Google connectors'
  override does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.managed.rest_adapter import instance_url as managed_instance_url
from sluice.connectors.managed.rest_adapter import oauth2_bearer, on_override
from sluice.connectors.managed.rest_adapter import token_url as managed_token_url
from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Auth

from . import LABEL

API_PATH = "/api/data/v9.2"
HOSTS = ("dynamics.com", "microsoftdynamics.us", "appsplatform.us", "dynamics.cn", "microsoftdynamics.de",
         "microsoftonline.com", "microsoftonline.us", "chinacloudapi.cn")


def instance_url(profile: ProfileView) -> str:
    """The environment's URL from `profileProperties.instanceUrl` (https, no trailing slash)."""
    return managed_instance_url(profile, "Microsoft Dynamics 365", "https://<org>.crm.dynamics.com")


def base_url(profile: ProfileView) -> str:
    """Where Web API calls go: the environment's `/api/data/v9.2` (on the override host, if set)."""
    return on_override(LABEL, instance_url(profile)) + API_PATH


def token_url(profile: ProfileView) -> str:
    """The profile's `oAuth2Properties.tokenUrl` (on the override host, if set)."""
    url = managed_token_url(profile, LABEL)
    if not url:
        raise ConnectorError("InvalidArgument", "the Microsoft Dynamics 365 connector profile has no "
                             "oAuth2Properties.tokenUrl")
    return url


def choose_auth(profile: ProfileView) -> Auth:
    """Bearer on `oauth2.accessToken`, renewed with `oauth2.refreshToken` at the profile's token URL."""
    return oauth2_bearer(token_url(profile), extra={"scope": f"{instance_url(profile)}/.default offline_access"})


def errors(response: httpx.Response, body: Any) -> VendorError:
    """Dataverse's error body; a bare 401 is named by its `WWW-Authenticate` challenge."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and error.get("message"):
        return VendorError(str(error.get("code") or f"HTTP_{response.status_code}"), str(error["message"]),
                           response.status_code)
    challenge = response.headers.get("WWW-Authenticate")
    if response.status_code == 401 and challenge:
        # The challenge names the authority and the environment, never a token.
        return VendorError("HTTP_401", f"the access token was not accepted ({challenge[:200]})", 401)
    return json_error(response, body)


class DynamicsApi(RestApi):
    """`RestApi` whose base URL is the profile's environment and whose hosts include the override's."""

    def url_of(self, profile: ProfileView) -> str:
        return outbound.check_vendor_url(base_url(profile), allowed_host_suffixes=self.vendor_hosts(),
                                         what="the Microsoft Dynamics 365 instanceUrl")


API = DynamicsApi(LABEL, "Microsoft Dynamics 365", hosts=HOSTS, auth=choose_auth, errors=errors,
                  headers={"OData-MaxVersion": "4.0", "OData-Version": "4.0"})
