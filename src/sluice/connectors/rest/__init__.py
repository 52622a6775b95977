"""The shared REST layer for SaaS connectors (connectors layer).

Sixty SaaS APIs repeat the same few patterns; this package holds them once, and a vendor folder
declares its entities with them, writing code only where the vendor is unusual (style point 16;
docs/connectors.md says why Sluice has its own thin layer rather than dlt's `rest_api` or
airbyte-cdk's declarative engine). Modules, in the order a run uses them:

* `api.RestApi` - base URL (`instanceUrl` / `SLUICE_ENDPOINT_URL_<TYPE>`), vendor hosts, auth,
  error bodies and what counts as throttled or expired;
* `auth` - `Bearer` (+ OAuth 2.0 refresh / client-credentials grants, re-sealed into the
  profile), `HeaderKeys`, `TokenHeader`, `Basic`;
* `client.RestClient` - sends `Request`s: retries with `Retry-After` / backoff, token renewal,
  vendor errors -> `ConnectorError`, orjson parsing;
* `paging` - `Cursor`, `NextUrl`, `LinkHeader`, `Offset`, `PageNumber`, `Single`;
* `entities` - `Field`, `Entity`, `Static` catalog, `Query` (push-down facts);
* `records` - JSON records -> Arrow batches with types from the fields (the nesting rule);
* `metadata`, `source`, `destination` - AppFlow's metadata shapes, the source, the spooled
  destination with per-record results (`Writer`);
* `connector.RestConnector` - bundles them; `spec.rest_spec` makes the registry entry.

A minimal connector (`sluice/connectors/<vendor>/connector.py`)::

    API = RestApi("Zendesk", "Zendesk", hosts=("zendesk.com",), auth=Bearer())
    TICKETS = Entity("tickets", path="/api/v2/tickets.json", records="tickets",
                     paginator=Cursor("meta.after_cursor", param="page[after]",
                                      has_more_path="meta.has_more", size_param="page[size]"),
                     fields=(Field("id", "integer", primary_key=True), Field("subject"), ...))
    CONNECTOR = RestConnector(API, Static((TICKETS,)), operators=frozenset(CAPABILITIES[...]),
                              check=Request("GET", "/api/v2/users/me.json"))

and its `__init__`: `SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.zendesk.connector")`.
Only this `__init__` and `spec` are imported by the registry: keep them free of httpx and pyarrow.
"""
