"""Google Analytics (connectors layer): source only; Universal Analytics reports by date range.

`GoogleAnalyticsConnectorOperator` is just PROJECTION and BETWEEN: a report is a projection of
dimensions and metrics over a date range. The connector itself (connector.py, api.py, catalog.py,
reports.py, on the shared REST layer) is imported on first use; docs/connectors/google-analytics.md
describes it, including Google's shutdown of Universal Analytics.
"""

from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    connector_configuration,
    oauth2,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Googleanalytics"

_SCOPES = ["https://www.googleapis.com/auth/analytics.readonly"]

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Google Analytics",
    description="Google Analytics reporting",
    metadata={"GoogleAnalytics": {"oAuthScopes": _SCOPES}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=DAILY_AND_SLOWER,
    operators=("PROJECTION", "BETWEEN"),
    authentication_config=oauth2(
        scopes=_SCOPES,
        token_urls=("https://oauth2.googleapis.com/token",),
        auth_code_urls=("https://accounts.google.com/o/oauth2/auth",),
    ),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.google_analytics.connector")
