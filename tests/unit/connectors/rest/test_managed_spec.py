"""A managed label's REST data path: `entityName` is the object, the label is kept."""

from __future__ import annotations

from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.rest.managed_spec import entity_properties, managed_rest_spec
from sluice.connectors.rest.source import RestSource


def test_entity_name_is_the_rest_layers_object() -> None:
    props = {"entityName": "campaigns", "customProperties": {"a": "b"}}
    assert entity_properties(props) == {**props, "object": "campaigns"}
    assert entity_properties({"object": "x"})["object"] == "x"


def test_the_spec_opens_a_rest_source_on_the_named_entity() -> None:
    spec = managed_rest_spec("Mailchimp", "sluice.connectors.mailchimp.connector")
    assert spec.label == "Mailchimp" and spec.connector_type == "CustomConnector"
    assert spec.open_source is not None and spec.open_destination is None
    profile = ProfileView(name="p", connector_type="CustomConnector", connector_label="Mailchimp")
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/nonexistent")
    source: Any = spec.open_source(profile, {"entityName": "campaigns"}, ctx)
    assert isinstance(source, RestSource) and source.object_name == "campaigns"
