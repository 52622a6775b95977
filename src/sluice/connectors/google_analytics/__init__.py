"""Google Analytics (connectors layer): source only; reports by date range, scheduled daily.

`GoogleAnalyticsConnectorOperator` is just PROJECTION and BETWEEN: a report is a projection of
dimensions and metrics over a date range.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    connector_configuration,
    oauth2,
)

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

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
