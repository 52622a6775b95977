"""Asana (AWS-managed connector `Asana`; connectors layer): the Asana REST API 1.0 as a source.

The label's `ConnectorConfiguration` is the managed catalog's declaration (OAUTH2 with
`https://app.asana.com/-/oauth_token`, CUSTOM `PAT`); this package is its data path: `api.py`
(base URL, bearer tokens and their renewal, Asana's error bodies), `catalog.py` (the objects
AppFlow's Asana page lists), `reads.py` (paging, `opt_fields`, `modified_since`, per-workspace and
per-project reads) and `connector.py`. Nothing heavy is imported until first use.
docs/connectors/asana.md.
"""

from sluice.connectors.rest.spec import rest_spec

LABEL = "Asana"

SPEC = rest_spec(LABEL, {"canUseAsSource": True}, "sluice.connectors.asana.connector")
