"""The GitHub connector on the shared REST layer (connectors layer, GitHub).

`api.API` (host, headers, auth, errors, rate limits) + `catalog.CATALOG` (objects by REST path,
push-down); the profile check is GET /user, which answers 401 "Bad credentials" for a token or
password GitHub refuses. Source only: AppFlow's GitHub connector writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.github import CAPABILITIES
from sluice.connectors.github.api import API
from sluice.connectors.github.catalog import CATALOG
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.source import RestSource


@dataclass(frozen=True)
class ManagedRestConnector(RestConnector):
    """A REST connector serving a CustomConnector label: its flows name the object `entityName`
    (`CustomConnectorSourceProperties`), which the REST source reads as `object`."""

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        """`ConnectorSpec.open_source`."""
        return super().open_source(profile, {**props, "object": props.get("object") or props.get("entityName")}, ctx)


CONNECTOR = ManagedRestConnector(API, CATALOG, operators=frozenset(CAPABILITIES["supportedOperators"]),
                                 check=Request("GET", "/user"))
