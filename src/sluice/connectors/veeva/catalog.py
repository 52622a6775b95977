"""Vault's objects and documents as entities, with fields read live (connectors layer, Veeva).

Veeva's docs (https://developer.veevavault.com/api/24.1/#metadata):

* `GET /api/{version}/metadata/vobjects` - the Vault's objects (`objects`: `name`, `label`,
  `label_plural`, `status`...); each is an entity named as Vault names it (`product__v`);
* `GET /api/{version}/metadata/vobjects/{name}` - an object's `fields` (`name`, `label`, `type`,
  `required`, `unique`, `multi_value` for picklists...);
* `GET /api/{version}/metadata/objects/documents/properties` - the document fields (`properties`:
  `name`, `label`, `type`, `queryable`, `repeating`...), for the `documents` entity.

Vault's types map to the layer's: ID, String, LongText, RichText, Object, Parent, Lookup, Component,
ObjectReference, User -> string (a document's `id` -> integer); Number, Currency -> double; Date -> date;
DateTime -> datetime; Boolean -> boolean; Picklist, and repeating document fields -> a list of text (VQL answers them as
arrays). `modified_date__v` and `created_date__v` are offered for incremental pulls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field
from sluice.connectors.veeva.session import API_VERSION
from sluice.connectors.veeva.vql import NextPage

DOCUMENTS = "documents"
TIMESTAMPS = ("modified_date__v", "created_date__v", "version_modified_date__v", "document_creation_date__v")
TYPES = {"number": "double", "currency": "double", "date": "date", "datetime": "datetime", "boolean": "boolean"}
LISTS = {"picklist"}


def field_of(item: Mapping[str, Any], repeating: bool = False, id_type: str = "string") -> Field:
    """One Vault field (an object field or a document property) as a `Field`; `id_type` is the type of
    `id` fields (object record ids are text, document ids numbers)."""
    name = str(item.get("name") or "")
    vendor = str(item.get("type") or "String")
    kind = id_type if vendor.lower() == "id" else TYPES.get(vendor.lower(), "string")
    text = Field("value")
    if repeating or vendor.lower() in LISTS or item.get("multi_value"):
        return Field(name, "array", label=str(item.get("label") or name), vendor_type=vendor, item=text,
                     filters=())
    return Field(name, kind, label=str(item.get("label") or name), vendor_type=vendor,
                 primary_key=name == "id", nullable=not item.get("required"),
                 timestamp=name in TIMESTAMPS and kind == "datetime")


def describe_object(client: RestClient, entity: Entity) -> list[Field]:
    """An object's fields, read from Vault."""
    body = client.json(_get(f"/api/{API_VERSION}/metadata/vobjects/{entity.name}"))
    found = (body.get("object") or {}).get("fields") if isinstance(body, Mapping) else None
    return [field_of(item) for item in found or [] if isinstance(item, Mapping) and item.get("name")]


def describe_documents(client: RestClient, entity: Entity) -> list[Field]:
    """The queryable document fields, read from Vault."""
    body = client.json(_get(f"/api/{API_VERSION}/metadata/objects/documents/properties"))
    found = body.get("properties") if isinstance(body, Mapping) else None
    return [field_of(item, bool(item.get("repeating")), "integer") for item in found or []
            if isinstance(item, Mapping) and item.get("name") and item.get("queryable", True)]


def _get(path: str) -> Request:
    return Request("GET", path)


def _entity(name: str, label: str, describe: Callable[[RestClient, Entity], list[Field]]) -> Entity:
    """An entity whose fields are read once (a run describes it, then builds its query from the same fields)."""
    read: list[list[Field]] = []

    def described(client: RestClient, entity: Entity) -> list[Field]:
        if not read:
            read.append(describe(client, entity))
        return read[0]

    return Entity(name, label=label, path=f"/api/{API_VERSION}/query", method="POST", records="data",
                  paginator=NextPage(), describe=described)


@dataclass(frozen=True)
class VaultCatalog:
    """The Vault's objects (read live) and `documents`."""

    def _objects(self, client: RestClient) -> list[Entity]:
        body = client.json(_get(f"/api/{API_VERSION}/metadata/vobjects"))
        found = body.get("objects") if isinstance(body, Mapping) else None
        return [_entity(str(o["name"]), str(o.get("label_plural") or o.get("label") or o["name"]), describe_object)
                for o in found or [] if isinstance(o, Mapping) and o.get("name")]

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            return []
        return [_entity(DOCUMENTS, "Documents", describe_documents), *self._objects(client)]

    def entity(self, client: RestClient, name: str) -> Entity:
        if name == DOCUMENTS:
            return _entity(DOCUMENTS, "Documents", describe_documents)
        for entity in self._objects(client):
            if entity.name == name:
                return entity
        raise ConnectorError("ResourceNotFound", f"the Vault has no object {name!r} (ListConnectorEntities lists "
                             "its objects)")
