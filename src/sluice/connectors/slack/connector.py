"""The Slack connector (connectors layer): source only, on the shared REST layer.

The profile check is `auth.test`; objects are `conversations`, `conversations/<id>` (messages with
their threads) and `users` (catalog.py); errors and tokens follow api.py.
"""

from __future__ import annotations

from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.slack import CAPABILITIES
from sluice.connectors.slack.api import API
from sluice.connectors.slack.catalog import SlackCatalog

CONNECTOR = RestConnector(
    API,
    SlackCatalog(),
    operators=frozenset(CAPABILITIES["supportedOperators"]),
    check=Request("GET", "api/auth.test"),
)
