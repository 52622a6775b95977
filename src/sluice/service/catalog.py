"""The connector catalog as the service layer reads it (service layer).

Built-in types come from `sluice.connectors.registry`; custom connectors from this account's
registrations, native plug-ins (entry points) and the AWS-managed labels
(`sluice.connectors.managed`), which answer to a CustomConnector label without a registration.
The per-type member names of union-like structures (`SourceConnectorProperties`,
`ConnectorOperator`, `ConnectorProfileProperties`...) are derived from the generated shapes, so a
new connector type in the model needs no edit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, NotRequired, get_origin, get_type_hints

from sluice.connectors import external, registry
from sluice.connectors.base import ConnectorError, ConnectorSpec
from sluice.service import shapes
from sluice.service.connector_errors import to_service_error

CUSTOM = "CustomConnector"


def _members(typed_dict: type) -> dict[str, str]:
    """Map lower-cased member name -> member name for a generated TypedDict."""
    return {name.lower(): name for name in typed_dict.__annotations__}


_SOURCE_PROPS = _members(shapes.SourceConnectorProperties)
_DEST_PROPS = _members(shapes.DestinationConnectorProperties)
_PROFILE_PROPS = _members(shapes.ConnectorProfileProperties)
_PROFILE_CREDS = _members(shapes.ConnectorProfileCredentials)
_OPERATOR = _members(shapes.ConnectorOperator)


def _member_for(table: Mapping[str, str], connector_type: str) -> str | None:
    return table.get(connector_type.lower())


def source_member(connector_type: str) -> str | None:
    """The `SourceConnectorProperties` member that belongs to `connector_type`."""
    return _member_for(_SOURCE_PROPS, connector_type)


def destination_member(connector_type: str) -> str | None:
    """The `DestinationConnectorProperties` member that belongs to `connector_type`."""
    return _member_for(_DEST_PROPS, connector_type)


def profile_properties_member(connector_type: str) -> str | None:
    """The `ConnectorProfileProperties` member that belongs to `connector_type`."""
    return _member_for(_PROFILE_PROPS, connector_type)


def profile_credentials_member(connector_type: str) -> str | None:
    """The `ConnectorProfileCredentials` member that belongs to `connector_type`."""
    return _member_for(_PROFILE_CREDS, connector_type)


@cache
def _required_fields(union: type, member: str) -> tuple[str, ...]:
    """The fields the model makes required in `union`'s `member` structure (none when unknown)."""
    shape = get_type_hints(union).get(member)
    if shape is None or not hasattr(shape, "__annotations__"):
        return ()
    # The generated shapes postpone annotations, so TypedDict's own __required_keys__ cannot see
    # NotRequired; the resolved hints can.
    hints = get_type_hints(shape, include_extras=True)
    return tuple(name for name, hint in hints.items() if get_origin(hint) is not NotRequired)


def profile_properties_required(connector_type: str) -> tuple[str, ...]:
    """Required fields of the connector type's `ConnectorProfileProperties` member."""
    member = profile_properties_member(connector_type)
    return _required_fields(shapes.ConnectorProfileProperties, member) if member else ()


def profile_credentials_required(connector_type: str) -> tuple[str, ...]:
    """Required fields of the connector type's `ConnectorProfileCredentials` member."""
    member = profile_credentials_member(connector_type)
    return _required_fields(shapes.ConnectorProfileCredentials, member) if member else ()


def operator_member(connector_type: str) -> str | None:
    """The `ConnectorOperator` member that belongs to `connector_type`."""
    return _member_for(_OPERATOR, connector_type)


def builtin(connector_type: str) -> ConnectorSpec | None:
    """The built-in spec for `connector_type`, or None when the type is unknown."""
    return registry.CONNECTORS.get(connector_type)


def plugin(label: str | None) -> ConnectorSpec | None:
    """The spec answering to a CustomConnector `label` without a registration: an installed native
    plug-in, an external connector (Airbyte source, Singer tap), else the AWS-managed connector of
    that label. An external connector is installed here on first use: a failure is its modelled error."""
    found = registry.label_spec(label)
    if found is not None and label is not None and external.is_external(label):
        try:
            external.resolve_configuration(found)
        except ConnectorError as exc:
            raise to_service_error(exc) from exc
    return found


def spec(connector_type: str, label: str | None = None) -> ConnectorSpec | None:
    """The spec serving a connector: a native plug-in or managed connector for its CustomConnector
    label, else the built-in."""
    if connector_type == CUSTOM and label:
        found = plugin(label)
        if found is not None:
            return found
    return registry.spec_for(connector_type, label)


def capabilities(connector_type: str, registration: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The `ConnectorConfiguration` that governs `connector_type` (a registration's for custom)."""
    if connector_type == CUSTOM and registration is not None:
        return registration
    spec = builtin(connector_type)
    return spec.capabilities if spec is not None else {}


def all_builtin_types() -> list[str]:
    """Every built-in connector type, in the model's enum order."""
    return list(registry.CONNECTORS)


def source_entity(connector_type: str, properties: Mapping[str, Any]) -> str | None:
    """The entity a flow reads, from its `sourceConnectorProperties` member.

    S3 reads `bucket/prefix`; SaaS sources name an `object`; SAP OData an `objectPath`; custom
    connectors an `entityName`.
    """
    member = source_member(connector_type)
    props = properties.get(member or "", {}) if member else {}
    if connector_type == "S3":
        bucket, prefix = props.get("bucketName"), (props.get("bucketPrefix") or "").strip("/")
        return f"{bucket}/{prefix}" if prefix else bucket
    for key in ("object", "objectPath", "entityName"):
        if props.get(key):
            return str(props[key])
    return None
