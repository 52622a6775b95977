"""The connector catalog operations and entity metadata (service layer).

DescribeConnectors / DescribeConnector / ListConnectors read the built-in catalog, the AWS-managed
labels (`sluice.connectors.managed`) and this account's registrations. DescribeConnectors, which
"describes all connectors vended by Amazon AppFlow", lists each managed label among its
`connectors` after the account's registrations; ListConnectors, which AppFlow documents as listing
"only custom connectors registered in this account, not the AWS authored connectors", does not.

ListConnectorEntities / DescribeConnectorEntity ask the connector's metadata provider through a
cache kept in the store (entries expire after an hour; ResetConnectorMetadataCache clears them
per profile, entity or connector).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sluice.connectors import managed
from sluice.connectors.base import ConnectorError, MetadataProvider, ProfileView
from sluice.engine.profiles import aws_identity, profile_view
from sluice.service import catalog, registrations
from sluice.service.common import now
from sluice.service.connector_errors import to_service_error
from sluice.service.context import Caller
from sluice.service.errors import (
    ConnectorServerException,
    ResourceNotFoundException,
    ServiceError,
    ValidationException,
)
from sluice.service.pagination import Paginator
from sluice.store.buckets import BucketAccess
from sluice.store.models import MetadataCacheEntry
from sluice.store.repository import DuplicateError, Scoped, Store

CACHE_SECONDS = 3600
log = logging.getLogger("sluice.service.connectors")


def _managed_detail(label: str) -> dict[str, Any]:
    """A managed label's `ConnectorDetail` (the declaration answers; nothing is registered)."""
    declared = managed.declaration(label)
    assert declared is not None  # `label` comes from managed.LABELS
    return declared.detail()


class Connectors:
    """Catalog and metadata operations."""

    def __init__(self, store: Store, paginator: Paginator) -> None:
        self.store = store
        self.paginator = paginator

    # -- catalog ---------------------------------------------------------------------------
    def describe_connectors(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Configurations of the requested (or all) connector types, registrations included."""
        wanted = params.get("connectorTypes") or catalog.all_builtin_types()
        for connector_type in wanted:
            if catalog.builtin(connector_type) is None:
                raise ValidationException(f"{connector_type} is not a connector type Sluice knows.")
        limit = params.get("maxResults") or 100
        filters = sorted(wanted)
        with self.store.scoped(caller.account_id, caller.region) as tx:
            start = self.paginator.read(caller, "DescribeConnectors", params.get("nextToken"), filters) or 0
            items: list[tuple[str, Any]] = [("type", t) for t in wanted]
            if catalog.CUSTOM in wanted:
                items += [("registration", r) for r in tx.registrations(None, 10_000)[0]]
                items += [("managed", label) for label in managed.LABELS]
            page = items[start:start + limit]
            configurations = {
                value: catalog.capabilities(value) for kind, value in page if kind == "type"
            }
            details = [registrations.detail(value) if kind == "registration" else _managed_detail(value)
                       for kind, value in page if kind != "type"]
        cursor = start + limit if start + limit < len(items) else None
        response: dict[str, Any] = {
            "connectorConfigurations": configurations,
            "nextToken": self.paginator.mint(caller, "DescribeConnectors", cursor, filters),
        }
        if details:
            response["connectors"] = details
        return response

    def describe_connector(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """One connector type's configuration; a custom connector's by its label."""
        connector_type = params["connectorType"]
        label = params.get("connectorLabel")
        if catalog.builtin(connector_type) is None:
            raise ResourceNotFoundException(f"{connector_type} is not a connector type Sluice knows.")
        if connector_type != catalog.CUSTOM:
            return {"connectorConfiguration": catalog.capabilities(connector_type)}
        if not label:
            raise ValidationException("Describing a CustomConnector needs its connectorLabel.")
        plugin = catalog.plugin(label)
        if plugin is not None:
            return {"connectorConfiguration": {**plugin.capabilities, "connectorLabel": label}}
        with self.store.scoped(caller.account_id, caller.region) as tx:
            registration = tx.registration(label)
            if registration is None:
                raise ResourceNotFoundException(f"No connector with the label {label} is registered.")
            return {"connectorConfiguration": registrations.configuration(registration)}

    def list_connectors(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """The registered custom connectors (AppFlow lists only those here, no AWS-managed ones)."""
        limit = params.get("maxResults") or 100
        with self.store.scoped(caller.account_id, caller.region) as tx:
            after = self.paginator.read(caller, "ListConnectors", params.get("nextToken"))
            rows, cursor = tx.registrations(after, limit)
            connectors = [registrations.detail(row) for row in rows]
        return {"connectors": connectors, "nextToken": self.paginator.mint(caller, "ListConnectors", cursor)}

    # -- entity metadata -------------------------------------------------------------------
    def _resolve(
        self, tx: Scoped, connector_type: str | None, profile_name: str | None
    ) -> tuple[str, ProfileView, MetadataProvider]:
        profile = tx.profile(profile_name) if profile_name else None
        if profile_name and profile is None:
            raise ResourceNotFoundException(f"The connector profile {profile_name} does not exist.")
        if profile is not None and connector_type and connector_type != profile.connector_type:
            raise ValidationException(
                f"The connector profile {profile_name} is of type {profile.connector_type}, not {connector_type}."
            )
        connector_type = connector_type or (profile.connector_type if profile else None)
        if connector_type is None:
            raise ValidationException("Name a connectorProfileName or a connectorType.")
        spec = catalog.spec(connector_type, profile.connector_label if profile else None)
        if spec is None:
            raise ValidationException(f"{connector_type} is not a connector type Sluice knows.")
        if profile is None and (spec.requires_profile or connector_type == catalog.CUSTOM):
            raise ValidationException(f"The {connector_type} connector needs a connectorProfileName.")
        if spec.load_metadata is None and spec.label and managed.is_managed(spec.label):
            raise ConnectorServerException(
                f"Sluice cannot read entity metadata: {managed.unbuilt_message(spec.label)}.")
        if spec.load_metadata is None:
            raise ConnectorServerException(
                f"Sluice does not talk to {connector_type} yet: that connector's data path is not built "
                "in this version (see the README's feature matrix)."
            )
        view = profile_view(self.store, profile) if profile is not None else ProfileView(
            name=None, connector_type=connector_type, aws=aws_identity(self.store, tx.account_id)
        )
        # Whatever the profile, the embedded S3 store shows only the buckets the caller's account may use.
        view = replace(view, buckets=BucketAccess(self.store, tx.account_id))
        key = connector_type if not view.connector_label else f"{connector_type}:{view.connector_label}"
        return key, view, spec.load_metadata()

    def _cached(
        self, tx: Scoped, key: str, profile: str, kind: str, entity: str, page: str
    ) -> dict[str, Any] | None:
        entry = tx.cached_metadata(key, profile, kind, entity, page)
        if entry is None or entry.fetched_at < now() - CACHE_SECONDS:
            return None
        return entry.payload

    def _lookup(
        self,
        caller: Caller,
        connector_type: str | None,
        profile_name: str | None,
        kind: str,
        entity: str,
        page: str,
        fetch: Callable[[ProfileView, MetadataProvider], dict[str, Any]],
    ) -> dict[str, Any]:
        """A metadata answer from the cache, or from the connector (then cached).

        The vendor is asked outside any transaction: a slow answer must not hold the store, and a
        token refresh during the call saves the new token in a transaction of its own.
        """
        with self.store.scoped(caller.account_id, caller.region) as tx:
            key, view, provider = self._resolve(tx, connector_type, profile_name)
            payload = self._cached(tx, key, view.name or "", kind, entity, page)
        if payload is not None:
            return payload
        try:
            payload = fetch(view, provider)
        except ConnectorError as exc:
            raise to_service_error(exc) from exc
        with self.store.scoped(caller.account_id, caller.region) as tx:
            stale = tx.cached_metadata(key, view.name or "", kind, entity, page)
            if stale is not None:
                tx.delete(stale)
                tx.session.flush()
            try:
                tx.add(MetadataCacheEntry(connector_key=key, profile_name=view.name or "", kind=kind,
                                          entity=entity, page=page, payload=payload, fetched_at=now()))
            except DuplicateError:
                log.debug("metadata for %s %s cached by a concurrent call", kind, entity)
        return payload

    def list_connector_entities(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Entities (or the children of `entitiesPath`) the profile can reach."""
        entity = params.get("entitiesPath") or ""

        def fetch(view: ProfileView, provider: MetadataProvider) -> dict[str, Any]:
            result = provider.list_entities(
                view, params.get("entitiesPath"), params.get("maxResults"), params.get("nextToken")
            )
            return {"connectorEntityMap": {entity or "Objects": result.entities}, "nextToken": result.next_token}

        page = f"{params.get('maxResults') or ''}|{params.get('nextToken') or ''}"
        return self._lookup(caller, params.get("connectorType"), params.get("connectorProfileName"),
                            "list", entity, page, fetch)

    def describe_connector_entity(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """The fields of one entity."""
        return self.entity_fields(
            caller, params.get("connectorType"), params.get("connectorProfileName"), params["connectorEntityName"]
        )

    def entity_fields(
        self, caller: Caller, connector_type: str | None, profile_name: str | None, name: str
    ) -> dict[str, Any]:
        """`{"connectorEntityFields": [...]}` for an entity, through the metadata cache."""

        def fetch(view: ProfileView, provider: MetadataProvider) -> dict[str, Any]:
            return {"connectorEntityFields": provider.describe_entity(view, name)}

        return self._lookup(caller, connector_type, profile_name, "describe", name, "", fetch)

    def prefetch_fields(self, caller: Caller, connector_type: str, profile_name: str | None, entity: str) -> None:
        """Warm the cache with a source entity's fields before a flow is validated.

        CreateFlow/UpdateFlow validate inside a transaction, where `known_fields` only reads the
        cache; a failure here just means the fields cannot be checked this time - unless the
        vendor answered that the entity does not exist and its entity catalog is fixed
        (`ConnectorSpec.entities_fixed`): such a flow could never run, so it is refused now.
        """
        spec = catalog.builtin(connector_type)
        if spec is None or spec.load_metadata is None:
            return
        try:
            self.entity_fields(caller, connector_type, profile_name, entity)
        except ServiceError as exc:
            cause = exc.__cause__  # the connector's own answer, when the vendor was asked
            if spec.entities_fixed and isinstance(cause, ConnectorError) and cause.code == "ResourceNotFound":
                raise ValidationException(
                    f"The source object {entity} cannot be read with the connector profile {profile_name}: "
                    f"{cause.message}."
                ) from None
            log.info("fields of %s entity %s not checked: %s", connector_type, entity, exc.message)

    def check_destinations(self, caller: Caller, params: Mapping[str, Any]) -> None:
        """CreateFlow/UpdateFlow: destinations that can check their target (`ConnectorSpec.check_destination`)
        ask their AWS service, as the caller's account and region, before the flow is validated and stored.

        Malformed destinations are skipped here: `flow_rules.check_flow` words those refusals.
        """
        for index, destination in enumerate(params.get("destinationFlowConfigList") or []):
            connector_type = destination.get("connectorType") if isinstance(destination, Mapping) else None
            spec = catalog.builtin(connector_type) if isinstance(connector_type, str) else None
            if spec is None or spec.check_destination is None:
                continue
            member = catalog.destination_member(str(connector_type)) or ""
            props = (destination.get("destinationConnectorProperties") or {}).get(member)
            if not isinstance(props, Mapping):
                continue
            try:
                spec.check_destination(props, aws_identity(self.store, caller.account_id), caller.region)
            except ConnectorError as exc:
                where = f"destinationFlowConfigList[{index}] ({connector_type})"
                raise to_service_error(ConnectorError(exc.code, f"{where}: {exc.message}")) from exc

    def known_fields(
        self, tx: Scoped, connector_type: str, profile_name: str | None, entity: str
    ) -> set[str] | None:
        """Field names of a source entity from the cache, or None when they are not known.

        Flow validation checks task fields against this. None (no metadata path, the entity has no
        data yet, the connector could not be asked) means "cannot check", not "no fields".
        """
        spec = catalog.builtin(connector_type)
        if spec is None or spec.load_metadata is None:
            return None
        try:
            key, view, _ = self._resolve(tx, connector_type, profile_name)
        except ServiceError:
            return None
        payload = self._cached(tx, key, view.name or "", "describe", entity, "")
        if payload is None:
            return None
        return {field["identifier"] for field in payload["connectorEntityFields"] if field.get("identifier")}

    def reset_connector_metadata_cache(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Forget cached metadata for a profile, a connector type, an entity or a path."""
        profile_name = params.get("connectorProfileName")
        connector_type = params.get("connectorType")
        with self.store.scoped(caller.account_id, caller.region) as tx:
            profile = tx.profile(profile_name) if profile_name else None
            if profile_name and profile is None:
                raise ResourceNotFoundException(f"The connector profile {profile_name} does not exist.")
            if profile is None:
                if connector_type is None:
                    raise ValidationException("Name a connectorProfileName or a connectorType.")
                spec = catalog.builtin(connector_type)
                if spec is None:
                    raise ValidationException(f"{connector_type} is not a connector type Sluice knows.")
                if spec.requires_profile or connector_type == catalog.CUSTOM:
                    raise ValidationException(
                        f"Resetting the {connector_type} metadata cache needs a connectorProfileName."
                    )
            elif connector_type and connector_type != profile.connector_type:
                raise ValidationException(
                    f"The connector profile {profile_name} is of type {profile.connector_type}, not {connector_type}."
                )
            key = None
            if profile is not None:
                key = profile.connector_type if not profile.connector_label else (
                    f"{profile.connector_type}:{profile.connector_label}")
            elif connector_type:
                key = connector_type
            entity = params.get("connectorEntityName") or params.get("entitiesPath")
            tx.clear_metadata(key, profile_name, entity)
        return {}
