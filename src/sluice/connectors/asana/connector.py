"""The Asana data path on the shared REST layer (connectors layer, Asana).

The profile check is `GET /users/me` (the token's own user), which answers 401 "Not Authorized"
to a wrong token; an expired OAuth token is renewed there first. Objects: catalog.py; paging and
push-down: reads.py; host, auth and errors: api.py.
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
    check=Request("GET", "/users/me", {"opt_fields": "gid,name"}))
