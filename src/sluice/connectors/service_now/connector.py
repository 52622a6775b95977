"""The ServiceNow connector on the shared REST layer (connectors layer): Table API source.

* Base URL: the profile's `instanceUrl` (`https://<instance>.service-now.com`); the outbound rules
  allow the vendor's hosts `service-now.com` and `servicenowservices.com` (its government cloud).
* Auth (`ServiceNowConnectorProfileCredentials`): HTTP basic with `username` / `password`, or
  `oAuth2Credentials` (clientId, clientSecret, accessToken, refreshToken, oAuthRequest): a bearer
  token renewed through `/oauth_token.do` with the refresh_token grant and re-sealed in the profile;
  an `oAuthRequest.authCode` is exchanged there (authorization_code grant) when the profile is created.
* Errors: the Table API's `{"error": {"message", "detail"}, "status": "failure"}` bodies become the
  run's or call's message; 429 (rate-limit rules) is retried after `Retry-After`.
* Catalog and reads: tables.py (sys_db_object / sys_dictionary, Link-header pages) and query.py
  (sysparm_query push-down).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import Auth, Basic, Bearer, refresh_grant
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.source import RestSource
from sluice.connectors.service_now import CAPABILITIES, CONNECTOR_TYPE
from sluice.connectors.service_now.tables import Tables

OAUTH = "oAuth2Credentials"


def _token_url(base_url: str, credentials: Mapping[str, Any]) -> str:
    return f"{base_url}/oauth_token.do"


OAUTH_GRANT = refresh_grant(_token_url, client_id_key=f"{OAUTH}.clientId", client_secret_key=f"{OAUTH}.clientSecret",
                            refresh_token_key=f"{OAUTH}.refreshToken")
BEARER = Bearer(token_key=f"{OAUTH}.accessToken", grant=OAUTH_GRANT, refresh_token_key=f"{OAUTH}.refreshToken")
BASIC = Basic()


def choose_auth(profile: ProfileView) -> Auth:
    """Basic when the profile has a user name and password, else the OAuth bearer token."""
    credentials = profile.credentials
    if credentials.get("username") and credentials.get("password"):
        return BASIC
    if isinstance(credentials.get(OAUTH), Mapping):
        return BEARER
    raise ConnectorError("InvalidCredentials", "ServiceNow connector profiles need a username and password, or "
                         "oAuth2Credentials")


API = RestApi(CONNECTOR_TYPE, "ServiceNow", hosts=("service-now.com", "servicenowservices.com"), auth=choose_auth)


@dataclass(frozen=True)
class ServiceNowConnector(RestConnector):
    """A `RestConnector` whose incremental windows move to whole seconds (`settled`)."""

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        return super().open_source(profile, props, replace(ctx, window_start=settled(ctx.window_start),
                                                           window_end=settled(ctx.window_end)))


def settled(bound: float | None) -> float | None:
    """An incremental window bound moved back to the last whole second that can no longer gain records.

    `sys_updated_on` has whole seconds: a record changed at 12:00:00.7 reads 12:00:00, so a run whose
    window ends at 12:00:00.5 cannot have seen it, and the next window (which starts at 12:00:00.5)
    would skip it. Moving every bound to floor(bound) - 1 keeps consecutive windows back to back while
    each run only takes seconds that ended before its window did.
    """
    return None if bound is None else float(math.floor(bound) - 1)


# One small metadata read proves the credentials and the catalog access the connector needs.
CHECK = Request("GET", "/api/now/table/sys_db_object", {"sysparm_limit": 1, "sysparm_fields": "name"})

CONNECTOR = ServiceNowConnector(API, Tables(), operators=frozenset(CAPABILITIES["supportedOperators"]), check=CHECK)
