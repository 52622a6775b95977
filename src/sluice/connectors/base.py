"""What every connector provides (connectors layer).

A connector is a package `sluice/connectors/<name>/` whose `__init__.py` exports:

* `CAPABILITIES` - the AppFlow `ConnectorConfiguration` dict for the type, exactly the shape
  `DescribeConnectors` returns (camelCase keys, model enum values). `CreateFlow` validation
  reads the same dict, so the catalog and the rules cannot drift apart.
* `SPEC` - a `ConnectorSpec` naming the type, the capabilities and how to load the metadata
  (entity listing) implementation lazily, so importing the registry stays cheap.

Connectors know nothing of HTTP or the store: they receive a `ProfileView` (the profile's
properties and decrypted credentials) and return plain dicts in the model's shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A connector profile as a connector sees it; `credentials` are already decrypted."""

    name: str | None
    connector_type: str
    connector_label: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntityPage:
    """One page of `ListConnectorEntities` output: entities grouped by parent, plus a token."""

    entities: list[dict[str, Any]]
    next_token: str | None = None


class ConnectorError(Exception):
    """A failure talking to the connector's system.

    `code` is one of the AppFlow custom-connector SDK error codes (`InvalidCredentials`,
    `ServerError`, `ResourceNotFound`, `InvalidArgument`, `ThrottlingError`, ...). The service
    layer maps it once to the modelled AppFlow exception.
    """

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """True when retrying later may succeed."""
        return self.code in {"ThrottlingError", "ServerError", "ConnectorTimeout"}


class MetadataProvider(Protocol):
    """Entity metadata of one connector type."""

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        """Entities (or child entities of `parent`) as `ConnectorEntity` dicts."""
        ...

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        """The fields of `entity_name` as `ConnectorEntityField` dicts."""
        ...


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A built-in connector type: its catalog entry and its (lazily loaded) metadata provider."""

    connector_type: str
    capabilities: Mapping[str, Any]
    requires_profile: bool = True
    load_metadata: Callable[[], MetadataProvider] | None = None

    @property
    def data_path_built(self) -> bool:
        """True when Sluice can talk to this connector's system (entity metadata, runs)."""
        return self.load_metadata is not None
