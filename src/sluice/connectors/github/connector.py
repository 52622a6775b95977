"""The GitHub connector on the shared REST layer (connectors layer, GitHub).

`api.API` (host, headers, auth, errors, rate limits) + `catalog.CATALOG` (objects by REST path,
push-down); the profile check is GET /user, which answers 401 "Bad credentials" for a token or
password GitHub refuses. Source only: AppFlow's GitHub connector writes nothing. A
`ManagedRestConnector`, so a flow's `entityName` is the object read.
"""

from __future__ import annotations

from sluice.connectors.github import CAPABILITIES
from sluice.connectors.github.api import API
from sluice.connectors.github.catalog import CATALOG
from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request

CONNECTOR = ManagedRestConnector(API, CATALOG, operators=frozenset(CAPABILITIES["supportedOperators"]),
                                 check=Request("GET", "/user"))
