"""The Google Analytics 4 connector (connectors layer): GA4 core reports on the shared REST layer.

The profile is AppFlow's CustomConnector OAuth 2.0 profile for the managed label: `oauth2` credentials
(`clientId`, `clientSecret`, `accessToken`, `refreshToken`, or an `oAuthRequest` whose code is exchanged
once) and `oAuth2Properties.tokenUrl`. It is checked by listing one account summary (Admin API), which
needs a token with the `analytics.readonly` scope; a refused access token (401) is renewed with the
refresh token at the token URL and sealed back into the profile. A flow's source names its object as
a CustomConnector source does, in `entityName`. Objects and fields: catalog.py; reads: reports.py;
hosts: api.py.
"""

from __future__ import annotations

from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request, RestClient

from . import CAPABILITIES
from .api import API, admin_url
from .catalog import Catalog
from .reports import read_realtime_report, read_report


def check(client: RestClient) -> None:
    """The profile check: one account summary answers only to a valid token with the Analytics scope."""
    client.call(Request("GET", admin_url("/v1beta/accountSummaries"), {"pageSize": 1}))


CONNECTOR = ManagedRestConnector(API, Catalog(read=read_report, read_realtime=read_realtime_report),
                                 operators=frozenset(CAPABILITIES["supportedOperators"]), check=check)
