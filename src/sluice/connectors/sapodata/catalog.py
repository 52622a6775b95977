"""The entities of one SAP OData service, read from its `$metadata` (connectors layer, SAP OData).

A profile names one service (`applicationServicePath`); its entity sets are the entities. An
entity's name is its object path, `<applicationServicePath>/<EntitySet>` (what
`SAPODataSourceProperties.objectPath` / `SAPODataDestinationProperties.objectPath` hold); a bare
entity set name is accepted as well. The catalog is read from SAP on every call (no cache: it
would outlive a profile's credentials).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity
from sluice.connectors.sapodata import edmx
from sluice.connectors.sapodata.api import logon_params, service_path


@dataclass(frozen=True)
class SapEntity(Entity):
    """A REST `Entity` for one entity set, with the facts the SAP reader and writer need."""

    entity_set: edmx.EntitySet | None = None
    service: edmx.Service = field(default_factory=lambda: edmx.Service("2.0"))
    root: str = ""  # the service path

    @property
    def info(self) -> edmx.EntitySet:
        assert self.entity_set is not None
        return self.entity_set


def read_service(client: RestClient) -> edmx.Service:
    """The profile's service, from `<service>/$metadata`."""
    path = service_path(client.profile)
    answer = client.call(Request("GET", f"{path}/$metadata", dict(logon_params(client.profile)),
                                 headers={"Accept": "application/xml"}))
    return edmx.parse(answer.response.content)


def entity_of(root: str, service: edmx.Service, entity_set: edmx.EntitySet) -> SapEntity:
    writes: tuple[str, ...] = ()
    if not entity_set.odp:  # AppFlow writes to OData services, never to ODP providers
        writes = tuple(w for w, ok in (("INSERT", entity_set.creatable), ("UPDATE", entity_set.updatable),
                                       ("UPSERT", entity_set.creatable and entity_set.updatable)) if ok)
    description = f"{entity_set.label} (entity set {entity_set.name}"
    description += ", ODP delta)" if entity_set.change_tracking else ")"
    return SapEntity(name=f"{root}/{entity_set.name}", label=entity_set.label, description=description,
                     path=f"{root}/{entity_set.name}", fields=entity_set.fields, writes=writes,
                     entity_set=entity_set, service=service, root=root)


class SapCatalog:
    """`rest.entities.Catalog` of the profile's service."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            return []
        root = service_path(client.profile)
        service = read_service(client)
        return [entity_of(root, service, s) for s in service.sets.values()]

    def entity(self, client: RestClient, name: str) -> SapEntity:
        root = service_path(client.profile)
        wanted = name.strip().rstrip("/")
        set_name = wanted[len(root) + 1:] if wanted.startswith(root + "/") else wanted
        if "/" in set_name:
            raise ConnectorError("ResourceNotFound", f"the object path {name!r} is not an entity set of the "
                                 f"profile's service {root}")
        service = read_service(client)
        entity_set = service.sets.get(set_name)
        if entity_set is None:
            known = ", ".join(sorted(service.sets)[:20])
            raise ConnectorError("ResourceNotFound", f"the SAP service {root} has no entity set {set_name!r} "
                                 f"(its entity sets: {known})")
        return entity_of(root, service, entity_set)
