"""GitHub (AWS-managed connector; connectors layer): repositories, issues, pull requests, commits and
branches through the GitHub REST API v3.

AppFlow's managed GitHub connector is the CustomConnector label `GitHub` (no RegisterConnector):
its `ConnectorConfiguration` is the managed catalog's declaration
(`sluice.connectors.managed.catalog`), this package is its data path (`managed/data_paths.py`).
Profiles authenticate with OAUTH2 (an OAuth app's or GitHub App's user access token) or the CUSTOM
scheme `BasicAuthPersonalAccessToken` (username + personal access token, sent as HTTP basic).
Objects are named by their GitHub REST paths (`issues`, `user/repos`, `repos/{owner}/{repo}/issues`,
...; `catalog.py`), the wire rules (headers, errors, rate limits, token refresh) are in `api.py`.
See docs/connectors/github.md. Only this module is imported until a GitHub profile is used.
"""

from __future__ import annotations

from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.rest.spec import rest_spec

LABEL = "GitHub"
CONNECTOR_TYPE = "CustomConnector"
# The catalog's declaration is what DescribeConnector answers; `managed.spec` puts it on the spec again.
CAPABILITIES = BY_LABEL[LABEL].configuration

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.github.connector")
