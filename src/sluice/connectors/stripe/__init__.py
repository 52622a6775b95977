"""Stripe (AWS-managed connector `Stripe`; connectors layer): a source on the shared REST layer.

AppFlow's managed Stripe connector (user guide: connectors-stripe.html) reads Stripe objects with a
secret API key (`APIKEY` credentials). The connector itself (`connector.py`: objects and fields,
`api.py`: how Stripe is called, `lists.py`: list paging and push-down) is imported on first use;
docs/connectors/stripe.md describes it.
"""

from sluice.connectors.rest.spec import rest_spec

# The managed label; also names the endpoint override `SLUICE_ENDPOINT_URL_STRIPE`.
CONNECTOR_TYPE = "Stripe"

# The managed catalog supplies the ConnectorConfiguration (`managed/catalog.py`); the spec only
# needs to know it reads.
SPEC = rest_spec(CONNECTOR_TYPE, {"canUseAsSource": True}, "sluice.connectors.stripe.connector")
