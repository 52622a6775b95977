"""How Jira Cloud is reached (connectors layer, Jira Cloud).

* REST API version 2 (`/rest/api/2/...`, `REST`): AppFlow's Jira Cloud connector uses version 2
  (https://docs.aws.amazon.com/appflow/latest/userguide/connectors-jira-cloud.html, "Supported Jira
  API version"), so its users get version 2's shapes - rich text (`description`, `environment`,
  textarea custom fields, comment bodies) as wiki-markup strings, not version 3's Atlassian
  Document Format objects.
* The profile's `instanceUrl` is the site (`https://<site>.atlassian.net`). OAuth 2.0 (3LO) access
  tokens are not accepted by the site itself: calls go through Atlassian's gateway,
  `https://api.atlassian.com/ex/jira/<cloudId>/rest/api/2/...`, where the cloud id is the one
  `GET https://api.atlassian.com/oauth/token/accessible-resources` lists for the site's URL
  (https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/, "Making calls to the
  API"). An `instanceUrl` already naming the gateway (`.../ex/jira/<cloudId>`) is used as is.
* Tokens: `oauth2.accessToken`, renewed with the refresh-token grant at the profile's
  `oAuth2Properties.tokenUrl` (`https://auth.atlassian.com/oauth/token`) with the app's client id
  and secret; Atlassian rotates refresh tokens, so the new one is kept.
* `SLUICE_ENDPOINT_URL_JIRACLOUD` replaces the platform hosts (api.atlassian.com and
  auth.atlassian.com) with one base URL, paths unchanged.
* Errors: `{"errorMessages": [...], "errors": {field: message}}` from Jira, `{"code", "message"}`
  from the gateway; 429 carries `Retry-After`
  (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.managed.rest_adapter import instance_url as managed_instance_url
from sluice.connectors.managed.rest_adapter import oauth2_bearer, token_url
from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Bearer
from sluice.connectors.rest.client import Request, RestClient

from . import CONNECTOR_TYPE

PLATFORM = "https://api.atlassian.com"
TOKEN_URL = "https://auth.atlassian.com/oauth/token"
GATEWAY_PATH = "/ex/jira/"
# The REST API version AppFlow's connector calls (see the module docstring): v2, not v3.
REST = "/rest/api/2"


def platform_url() -> str:
    """Atlassian's API platform, or the operator's endpoint override."""
    return outbound.endpoint_override(CONNECTOR_TYPE) or PLATFORM


def instance_url(profile: ProfileView) -> str:
    """The site URL of the profile (`profileProperties.instanceUrl`)."""
    return managed_instance_url(profile, "Jira Cloud", "https://<site>.atlassian.net")


def auth_for(profile: ProfileView) -> Bearer:
    """The OAuth 2.0 bearer of the profile, renewed at its token URL (`oAuth2Properties.tokenUrl`,
    on the endpoint override when set)."""
    return oauth2_bearer(token_url(profile, CONNECTOR_TYPE, TOKEN_URL))


def jira_error(response: httpx.Response, body: Any) -> VendorError:
    """Jira's `errorMessages` / `errors`, or the gateway's `{"code", "message"}`."""
    if isinstance(body, Mapping) and ("errorMessages" in body or "errors" in body):
        said = [str(m) for m in body.get("errorMessages") or []]
        errors = body.get("errors")
        if isinstance(errors, Mapping):
            said += [f"{name}: {message}" for name, message in errors.items()]
        if said:
            return VendorError(f"HTTP_{response.status_code}", "; ".join(said), response.status_code)
    return json_error(response, body)


API = RestApi(CONNECTOR_TYPE, "Jira Cloud", hosts=("atlassian.net", "atlassian.com"), auth=auth_for,
              base_url=instance_url, errors=jira_error)

_cloud_ids: dict[tuple[str, str], str] = {}
_cloud_ids_lock = threading.Lock()


def route(client: RestClient) -> None:
    """Point `client` at the gateway URL of its site (once): see the module docstring."""
    if GATEWAY_PATH in client.base_url:
        return
    site = client.base_url
    platform = platform_url()
    key = (platform, urlsplit(site).hostname or site)
    with _cloud_ids_lock:
        cloud_id = _cloud_ids.get(key)
    if cloud_id is None:
        resources = client.json(Request("GET", f"{platform}/oauth/token/accessible-resources"))
        found = [r for r in resources or [] if isinstance(r, Mapping)
                 and (urlsplit(str(r.get("url") or "")).hostname or "") == key[1]]
        if not found:
            reachable = ", ".join(str(r.get("url")) for r in resources or [] if isinstance(r, Mapping)) or "none"
            raise ConnectorError("AccessDenied", f"the Jira Cloud token grants no access to {site} (the OAuth app "
                                 f"was authorized for: {reachable}); authorize it for this site")
        cloud_id = str(found[0]["id"])
        with _cloud_ids_lock:
            _cloud_ids[key] = cloud_id
    client.base_url = outbound.check_vendor_url(f"{platform}{GATEWAY_PATH}{cloud_id}",
                                                allowed_host_suffixes=API.vendor_hosts(),
                                                what="the Jira Cloud API gateway")
