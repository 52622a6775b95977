"""sluice.protocol.model: the one ServiceModel."""

from __future__ import annotations

from sluice.protocol.model import service_model


def test_service_model_is_appflow_and_loaded_once() -> None:
    model = service_model()
    assert model.service_name == "appflow"
    assert model.metadata["protocol"] == "rest-json"
    assert service_model() is model
