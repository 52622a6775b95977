"""`managed_rest_spec`: the data path of an AWS-managed label built on the REST layer (connectors layer).

A managed label (`connectorType: CustomConnector` + `connectorLabel`) names its object in the
flow's `CustomConnectorSourceProperties.entityName`, where built-in types use `object`; the rest
of the REST layer is the same. `managed/data_paths.py` points a label at the spec made here; the
label's `ConnectorConfiguration` stays the managed catalog's declaration (`managed.spec`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sluice.connectors.base import ConnectorSpec, ProfileView, RunContext, Source
from sluice.connectors.rest.spec import rest_spec


def entity_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """Custom-connector source properties with `entityName` as the REST layer's `object`."""
    return {**props, "object": props.get("entityName") or props.get("object")}


def managed_rest_spec(label: str, module: str) -> ConnectorSpec:
    """The spec of a managed source label whose `CONNECTOR` (a `RestConnector`) lives in `module`."""
    spec = rest_spec("CustomConnector", {"canUseAsSource": True}, module)
    opened = spec.open_source
    assert opened is not None

    def open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
        source: Source = opened(profile, entity_properties(props), ctx)
        return source

    return replace(spec, open_source=open_source, label=label)
