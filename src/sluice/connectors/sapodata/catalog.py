"""The objects of an SAP system: its OData services and their entity sets (connectors layer, SAP OData).

AppFlow discovers services through SAP Gateway's catalog service (its SAP OData guide asks for the
catalog service to be enabled), and lists each service's entity sets beneath it:

* `ListConnectorEntities` without `entitiesPath`: the services of the V2 catalog service
  (`/sap/opu/odata/IWFND/CATALOGSERVICE;v=2/ServiceCollection`), each named by its path
  (`/sap/opu/odata/sap/API_SALES_ORDER_SRV`) with `hasNestedEntities`; the profile's
  `applicationServicePath` is always among them (a V4 service, or a user without access to the
  catalog, sees only that one);
* with `entitiesPath` = a service path: that service's entity sets, each named by its object path
  `<service path>/<EntitySet>` (what `SAPODataSourceProperties.objectPath` /
  `SAPODataDestinationProperties.objectPath` hold); a bare entity set name means the profile's
  service.

Everything is read from SAP on each call (no cache: it would outlive a profile's credentials).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity
from sluice.connectors.sapodata import edmx
from sluice.connectors.sapodata.api import logon_params, service_path

CATALOG = "/sap/opu/odata/IWFND/CATALOGSERVICE;v=2/ServiceCollection"


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


def read_service(client: RestClient, path: str) -> edmx.Service:
    """The service at `path`, from its `$metadata`."""
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


def discover(client: RestClient) -> list[Entity]:
    """The services the catalog service lists, and the profile's own (see the module docstring)."""
    own = service_path(client.profile)
    found: dict[str, Entity] = {}
    try:
        body = client.json(Request("GET", CATALOG, {**logon_params(client.profile), "$format": "json"}))
    except ConnectorError as exc:
        if exc.code == "InvalidCredentials":
            raise
        body = None  # no catalog access: the profile's service alone
    results = body.get("d", {}).get("results", []) if isinstance(body, Mapping) and isinstance(
        body.get("d"), Mapping) else []
    for item in results:
        if not isinstance(item, Mapping) or not item.get("ServiceUrl"):
            continue
        path = urlsplit(str(item["ServiceUrl"])).path.rstrip("/")
        name = str(item.get("TechnicalServiceName") or path.rsplit("/", 1)[-1])
        found[path] = Entity(name=path, label=str(item.get("Title") or name),
                             description=str(item.get("Description") or name), has_children=True, readable=False)
    if own not in found:
        found[own] = Entity(name=own, label=own.rsplit("/", 1)[-1], description="the connector profile's service",
                            has_children=True, readable=False)
    return sorted(found.values(), key=lambda e: e.name)


def split_object_path(profile_service: str, object_path: str) -> tuple[str, str]:
    """(service path, entity set) of an object path; a bare entity set name is the profile's service's."""
    wanted = object_path.strip().rstrip("/")
    if "/" not in wanted:
        return profile_service, wanted
    if not wanted.startswith("/"):
        wanted = f"/{wanted}"
    root, _, name = wanted.rpartition("/")
    return root, name


class SapCatalog:
    """`rest.entities.Catalog` of an SAP system (see the module docstring)."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if not parent:
            return discover(client)
        root = parent.strip().rstrip("/")
        root = root if root.startswith("/") else f"/{root}"
        service = read_service(client, root)
        return [entity_of(root, service, s) for s in service.sets.values()]

    def entity(self, client: RestClient, name: str) -> SapEntity:
        root, set_name = split_object_path(service_path(client.profile), name)
        try:
            service = read_service(client, root)
        except ConnectorError as exc:
            if exc.code == "ResourceNotFound":
                raise ConnectorError("ResourceNotFound", f"the object path {name!r} names no entity set of an "
                                     f"OData service ({root} is not one: {exc.message})") from None
            raise
        entity_set = service.sets.get(set_name)
        if entity_set is None:
            known = ", ".join(sorted(service.sets)[:20])
            raise ConnectorError("ResourceNotFound", f"the SAP service {root} has no entity set {set_name!r} "
                                 f"(its entity sets: {known})")
        return entity_of(root, service, entity_set)
