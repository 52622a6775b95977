"""How Google's Analytics APIs are reached (connectors layer, Google Analytics).

Three Google hosts serve a Universal Analytics flow:

* `https://analyticsreporting.googleapis.com` - Analytics Reporting API v4 (`POST /v4/reports:batchGet`),
  https://developers.google.com/analytics/devguides/reporting/core/v4/rest/v4/reports/batchGet;
* `https://www.googleapis.com` - Management API v3 (`/analytics/v3/management/accountSummaries`, custom
  dimensions and metrics) and Metadata API v3 (`/analytics/v3/metadata/ga/columns`);
* `https://oauth2.googleapis.com/token` - OAuth 2.0 token endpoint (refresh_token and authorization_code
  grants, client id and secret in the form),
  https://developers.google.com/identity/protocols/oauth2/web-server#offline.

`SLUICE_ENDPOINT_URL_GOOGLEANALYTICS` replaces all three with one base URL (the paths stay as above).
Errors are Google's `{"error": {"code", "message", "status"}}`: the `status` word (UNAUTHENTICATED,
PERMISSION_DENIED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT) is the vendor code (rest/google.py, shared with
Google Analytics 4).
"""

from __future__ import annotations

from sluice.connectors.rest import google
from sluice.connectors.rest.api import RestApi

from . import CONNECTOR_TYPE

REPORTING = "https://analyticsreporting.googleapis.com"
MANAGEMENT = "https://www.googleapis.com"
OAUTH = "https://oauth2.googleapis.com"


def host(default: str) -> str:
    """`default`, or the operator's endpoint override for every Google host."""
    return google.host(CONNECTOR_TYPE, default)


def management_url(path: str) -> str:
    """A Management / Metadata API URL."""
    return f"{host(MANAGEMENT)}{path}"


# Google's error body and OAuth refresh are shared with the other Google connectors (rest/google.py).
errors = google.errors

API = RestApi(
    CONNECTOR_TYPE, "Google Analytics", hosts=("googleapis.com",),
    base_url=lambda profile: host(REPORTING),
    auth=google.bearer(lambda: f"{host(OAUTH)}/token"),
    errors=errors,
)
