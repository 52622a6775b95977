"""How the Mailchimp Marketing API 3.0 is reached (connectors layer, Mailchimp).

https://mailchimp.com/developer/marketing/docs/fundamentals/ ("API structure", "Authentication"):

* calls go to `https://<dc>.api.mailchimp.com/3.0`; the profile's `instanceUrl` names the data
  centre host (`https://us21.api.mailchimp.com`, as cdk-appflow's stack sends it) and `/3.0` is
  added unless it is already there;
* an API key (CUSTOM `api_key`) is sent as HTTP basic auth with any user name (`anystring:<key>`);
  an OAuth 2 access token (OAUTH2) as `Authorization: Bearer <token>`. Mailchimp's access tokens
  do not expire and it issues no refresh tokens (https://mailchimp.com/developer/marketing/guides/
  access-user-data-oauth-2/), so a refused token is final;
* errors are RFC 7807 problem documents `{type, title, status, detail, instance}`
  (https://mailchimp.com/developer/marketing/docs/errors/): `title` is the code, `detail` the
  message; 429 "Too Many Requests" (over 10 simultaneous connections) is retried with backoff.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from sluice.connectors.base import ProfileView
from sluice.connectors.managed.rest_adapter import instance_url
from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Auth, Bearer, credential

from . import LABEL

VERSION_PATH = "/3.0"


@dataclass(frozen=True)
class ApiKey(Auth):
    """The `api_key` custom scheme: HTTP basic with any user name and the key as the password."""

    key: str = "custom.credentialsMap.api_key"

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        key = credential(credentials, self.key)
        pair = f"anystring:{'' if key is None else key}"
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()


API_KEY = ApiKey()
OAUTH = Bearer(token_key="oauth2.accessToken")


def auth_for(profile: ProfileView) -> Auth:
    """The scheme the profile's `authenticationType` names."""
    return OAUTH if str(profile.credentials.get("authenticationType") or "").upper() == "OAUTH2" else API_KEY


def base_url(profile: ProfileView) -> str:
    """`profileProperties.instanceUrl` + `/3.0`."""
    url = instance_url(profile, "Mailchimp", "https://<dc>.api.mailchimp.com")
    return url if url.endswith(VERSION_PATH) else url + VERSION_PATH


def problem(response: httpx.Response, body: Any) -> VendorError:
    """A Mailchimp problem document: `title` as the code, `detail` as the message."""
    if isinstance(body, Mapping) and (body.get("title") or body.get("detail")):
        title = str(body.get("title") or f"HTTP_{response.status_code}")
        return VendorError(title, str(body.get("detail") or title), response.status_code)
    return json_error(response, body)


API = RestApi(LABEL, "Mailchimp", hosts=("api.mailchimp.com",), auth=auth_for, base_url=base_url, errors=problem)
