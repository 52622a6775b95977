"""Which managed labels Sluice can move data for, and the package that does it (connectors layer).

`DATA_PATHS` maps a managed `connectorLabel` to the `ConnectorSpec` of the Sluice connector
package that talks to that application, as `"module:attribute"`. A package plugs in by adding one
entry here, e.g. `"JDBCsmall": "sluice.connectors.jdbc:SPEC"`. Its spec supplies behaviour only -
`load_metadata`, `open_source`, `open_destination`, `check_profile` (run after the declaration's
own checks), `vendor_hosts`, `check_properties`...; the label's `ConnectorConfiguration` stays the
catalog's declaration (`sluice.connectors.managed.catalog`), so DescribeConnector answers what
AppFlow answers whichever package serves it.

Labels not listed answer definitions (profiles, flows, DescribeConnector) and end runs `Error`
naming the missing data path (`sluice.connectors.managed.unbuilt`).
"""

from __future__ import annotations

import importlib

from sluice.connectors.base import ConnectorSpec

DATA_PATHS: dict[str, str] = {
    "AmazonRDSPostgreSQL": "sluice.connectors.rds_postgresql:SPEC",
    "Asana": "sluice.connectors.asana:SPEC",
    "GitHub": "sluice.connectors.github:SPEC",
    "GoogleAnalytics4": "sluice.connectors.google_analytics4:SPEC",
    "HubSpot": "sluice.connectors.hubspot:SPEC",
    "JDBCsmall": "sluice.connectors.jdbc:SPEC",
    "JiraCloud": "sluice.connectors.jira_cloud:SPEC",
    "Mailchimp": "sluice.connectors.mailchimp:SPEC",
    "MicrosoftDynamics365": "sluice.connectors.dynamics365:SPEC",
    "Stripe": "sluice.connectors.stripe:SPEC",
}


def load(label: str, table: dict[str, str] | None = None) -> ConnectorSpec | None:
    """The data-path package's spec for `label`, or None when none is built."""
    path = (DATA_PATHS if table is None else table).get(label)
    if path is None:
        return None
    module_name, _, attribute = path.partition(":")
    spec = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(spec, ConnectorSpec):
        raise TypeError(f"{path} is a {type(spec).__name__}, not a ConnectorSpec")
    return spec
