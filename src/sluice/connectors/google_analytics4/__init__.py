"""Google Analytics 4 (AWS-managed connector; connectors layer): source only; reports of GA4 properties.

AppFlow's managed GA4 connector is a CustomConnector label (cdk-appflow's GoogleAnalytics4 constructs send
`connectorLabel: GoogleAnalytics4`, API version `v1beta`, OAuth 2.0 with Google's token URL). Its objects
are a property's reports, `properties/<propertyId>/coreReport` (and `.../realtimeReport`); their fields
are the property's dimensions and metrics (Data API metadata). A run is one `runReport` over the flow's
fields and date range (connector.py, api.py, catalog.py, reports.py on the shared REST layer, imported on first use);
docs/connectors/google-analytics-4.md describes it.
"""

from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.rest.spec import rest_spec

LABEL = "GoogleAnalytics4"
# The REST layer's name for the vendor: the endpoint override is SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4.
CONNECTOR_TYPE = LABEL

# The label's ConnectorConfiguration is the managed catalog's declaration (what AppFlow answers).
CAPABILITIES = BY_LABEL[LABEL].configuration

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.google_analytics4.connector")
