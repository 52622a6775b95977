"""The Mailchimp data path on the shared REST layer (connectors layer, Mailchimp).

The profile check is `GET /3.0/` (the API root: the account the key or token belongs to), which
answers 401 "API Key Invalid" to a wrong key. Objects: catalog.py; paging and push-down: reads.py;
hosts, auth and errors: api.py.
"""

from __future__ import annotations

from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request

from . import LABEL
from .api import API
from .catalog import CATALOG

CONNECTOR = ManagedRestConnector(
    API, CATALOG, operators=frozenset(BY_LABEL[LABEL].configuration["supportedOperators"]),
    check=Request("GET", "/", {"fields": "account_id,account_name"}))
