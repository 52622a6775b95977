"""Mailchimp (AWS-managed connector `Mailchimp`; connectors layer): the Marketing API 3.0 as a source.

The label's `ConnectorConfiguration` is the managed catalog's declaration (CUSTOM `api_key` and
OAUTH2, the `instanceUrl` profile property); this package is its data path: `api.py` (base URL,
auth, problem-JSON errors), `catalog.py` (the objects AppFlow's Mailchimp page lists, with
Mailchimp's own field names), `reads.py` (push-down and the per-list / per-campaign reads) and
`connector.py`. Nothing heavy is imported until first use. docs/connectors/mailchimp.md.
"""

from sluice.connectors.rest.spec import rest_spec

LABEL = "Mailchimp"

SPEC = rest_spec(LABEL, {"canUseAsSource": True}, "sluice.connectors.mailchimp.connector")
