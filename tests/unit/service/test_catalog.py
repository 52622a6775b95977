"""The catalog's per-connector member facts against botocore's model (the oracle)."""

from __future__ import annotations

import pytest

from sluice.protocol.model import service_model
from sluice.service import catalog

MODEL = service_model()


def _model_required(union: str, member: str | None) -> tuple[str, ...]:
    if member is None:
        return ()
    return tuple(MODEL.shape_for(union).members[member].required_members)


@pytest.mark.parametrize("connector_type", catalog.all_builtin_types())
def test_required_profile_fields_are_the_models(connector_type: str) -> None:
    assert catalog.profile_properties_required(connector_type) == _model_required(
        "ConnectorProfileProperties", catalog.profile_properties_member(connector_type))
    assert catalog.profile_credentials_required(connector_type) == _model_required(
        "ConnectorProfileCredentials", catalog.profile_credentials_member(connector_type))
