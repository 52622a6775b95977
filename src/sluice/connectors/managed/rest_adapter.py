"""A shared-REST-layer connector serving an AWS-managed label (connectors layer, managed connectors).

Managed labels are CustomConnector profiles and flows: a flow's source names its object as
`CustomConnectorSourceProperties.entityName` (with optional `customProperties`), where the REST
layer's `RestSource` reads a built-in type's `object`. `ManagedRestConnector` is a `RestConnector`
that makes that one translation, so a vendor folder on the REST layer plugs into
`managed/data_paths.py` unchanged (metadata, profile check and retries stay the layer's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.source import RestSource


def source_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """`CustomConnectorSourceProperties` as the REST source reads them (`object` = `entityName`)."""
    translated = dict(props)
    if not translated.get("object"):
        translated["object"] = str(props.get("entityName") or "").strip()
    return translated


@dataclass(frozen=True)
class ManagedRestConnector(RestConnector):
    """A `RestConnector` reading CustomConnector source properties (see the module docstring)."""

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        """`ConnectorSpec.open_source`, with `entityName` as the object."""
        return super().open_source(profile, source_properties(props), ctx)
