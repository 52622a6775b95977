"""How Google Analytics 4 is reached (connectors layer, Google Analytics 4).

Three Google hosts serve a GA4 flow:

* `https://analyticsdata.googleapis.com` - the Data API v1beta: `POST /v1beta/properties/{id}:runReport`
  (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport)
  and `GET /v1beta/properties/{id}/metadata`
  (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/getMetadata);
* `https://analyticsadmin.googleapis.com` - the Admin API v1beta: `GET /v1beta/accountSummaries`
  (https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list),
  the properties the user can read;
* the profile's `oAuth2Properties.tokenUrl` (`https://oauth2.googleapis.com/token`) - refresh-token and
  authorization-code grants.

`SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4` replaces all three with one base URL (the paths stay Google's).
The tokens and OAuth client sit in the CustomConnector profile's `oauth2` credentials member. Errors are
Google's `{"error": {"code", "message", "status"}}` (rest/google.py, shared with Universal Analytics):
401 UNAUTHENTICATED renews the token once, 429 RESOURCE_EXHAUSTED is retried with backoff, 403
PERMISSION_DENIED fails the run with Google's message.
"""

from __future__ import annotations

from collections.abc import Mapping

from sluice.connectors.base import ProfileView
from sluice.connectors.rest import google
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import Bearer

from . import CONNECTOR_TYPE

DATA = "https://analyticsdata.googleapis.com"
ADMIN = "https://analyticsadmin.googleapis.com"


def data_url(path: str) -> str:
    """A Data API URL."""
    return f"{google.host(CONNECTOR_TYPE, DATA)}{path}"


def admin_url(path: str) -> str:
    """An Admin API URL."""
    return f"{google.host(CONNECTOR_TYPE, ADMIN)}{path}"


def profile_token_url(profile: ProfileView) -> str:
    """The profile's token URL (AppFlow keeps it in `oAuth2Properties.tokenUrl`), else Google's."""
    oauth = profile.properties.get("oAuth2Properties")
    url = str(oauth.get("tokenUrl") or "") if isinstance(oauth, Mapping) else ""
    return google.token_url(CONNECTOR_TYPE, url or google.TOKEN_URL)


def auth(profile: ProfileView) -> Bearer:
    """Bearer auth with the profile's `oauth2` tokens, renewed at the profile's token URL."""
    return google.bearer(lambda: profile_token_url(profile), under="oauth2")


API = RestApi(
    CONNECTOR_TYPE, "Google Analytics 4", hosts=("googleapis.com",),
    base_url=lambda profile: google.host(CONNECTOR_TYPE, DATA),
    auth=auth,
    errors=google.errors,
)
