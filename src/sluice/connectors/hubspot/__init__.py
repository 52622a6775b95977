"""HubSpot (AWS-managed connector `HubSpot`; connectors layer): CRM objects as a source and a destination.

AppFlow's HubSpot connector is a CustomConnector label: profiles authenticate with OAuth 2.0 (the
access and refresh tokens of a HubSpot app, refreshed at `https://api.hubapi.com/oauth/v1/token`);
flows name an entity (`company`, `contact`, `deal`, `ticket`, `product`, `line_item`, the
engagements, `owner`, `association_label/<from>/<to>`). Reads use CRM v3 objects, with the search
API for incremental windows and filters (search.py); writes use the batch create / update / upsert
endpoints (writer.py). Built on the shared REST layer; nothing heavy is imported until first use.
docs/connectors/hubspot.md describes it.
"""

from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.rest.spec import rest_spec

LABEL = "HubSpot"

SPEC = rest_spec(LABEL, BY_LABEL[LABEL].configuration, "sluice.connectors.hubspot.connector", destination=True)
