"""The Google Analytics connector (connectors layer): Universal Analytics views on the shared REST layer.

The profile (`GoogleAnalyticsConnectorProfileCredentials`: `clientId`, `clientSecret`, `accessToken`,
`refreshToken`, or an `oAuthRequest` whose code is exchanged once) is checked by listing the user's account
summaries (Management API v3), which needs a token with the `analytics.readonly` scope. An access token
Google refuses (401) is renewed with the refresh token at Google's token endpoint and sealed back into the
profile. Objects and fields: catalog.py; reports: reports.py; hosts: api.py.
"""

from __future__ import annotations

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector

from . import CAPABILITIES
from .api import API, management_url
from .catalog import Catalog
from .reports import read_report


def check(client: RestClient) -> None:
    """The profile check: one account summary answers only to a valid token with the Analytics scope."""
    client.call(Request("GET", management_url("/analytics/v3/management/accountSummaries"), {"max-results": 1}))


CONNECTOR = RestConnector(API, Catalog(read=read_report), operators=frozenset(CAPABILITIES["supportedOperators"]),
                          check=check)
