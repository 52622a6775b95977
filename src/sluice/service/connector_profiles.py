"""Connector profiles: Create / Update / Delete / Describe (service layer).

Credentials are sealed with the store's secret box (AES-GCM, bound to the profile ARN) and
never leave this module in any response. A profile used by a flow cannot be deleted without
`forceDelete`; the conflict names the flows.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.engine.profiles import aws_identity, invocation_env, registration_view, unwrap
from sluice.service import catalog, idempotency
from sluice.service.common import credentials_arn, now, profile_arn, to_datetime
from sluice.service.connector_errors import to_service_error
from sluice.service.connector_secrets import ConnectorSecrets
from sluice.service.context import Caller
from sluice.service.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from sluice.service.pagination import Paginator
from sluice.store.models import ConnectorProfile
from sluice.store.repository import DuplicateError, Scoped, Store


def flows_using_profile(tx: Scoped, name: str) -> list[str]:
    """Names of the flows whose source or a destination uses the profile `name`."""
    return [
        flow.name for flow in tx.all_flows()
        if flow.source_profile == name or name in (flow.destination_profiles or [])
    ]


def _check_config(tx: Scoped, connector_type: str, label: str | None, config: dict[str, Any]) -> None:
    """The profile's properties (and credentials, if given) belong to its connector type."""
    if connector_type == catalog.CUSTOM and label and tx.registration(label) is None and catalog.plugin(label) is None:
        # CreateConnectorProfile models no ResourceNotFoundException: a label that names no
        # registered connector is an invalid request member, as AppFlow answers it.
        raise ValidationException(f"The connectorLabel {label} is not registered; register the connector first.")
    _check_members(connector_type, label, config)


def _check_members(connector_type: str, label: str | None, config: dict[str, Any]) -> None:
    """The union members of properties and credentials are the connector type's own."""
    if catalog.builtin(connector_type) is None:
        raise ValidationException(f"{connector_type} is not a connector type Sluice knows.")
    if connector_type == catalog.CUSTOM and not label:
        raise ValidationException("A CustomConnector profile needs the connectorLabel of a registered connector.")
    props_member = catalog.profile_properties_member(connector_type)
    props = config.get("connectorProfileProperties") or {}
    wrong = [k for k in props if k != props_member]
    if wrong:
        raise ValidationException(
            f"connectorProfileConfig.connectorProfileProperties has {', '.join(sorted(wrong))}, "
            f"which does not belong to connector type {connector_type}."
        )
    _check_present("connectorProfileProperties", props_member, props,
                   catalog.profile_properties_required(connector_type), connector_type)
    creds = config.get("connectorProfileCredentials")
    if creds is not None:
        creds_member = catalog.profile_credentials_member(connector_type)
        wrong = [k for k in creds if k != creds_member]
        if wrong:
            raise ValidationException(
                f"connectorProfileConfig.connectorProfileCredentials has {', '.join(sorted(wrong))}, "
                f"which does not belong to connector type {connector_type}."
            )
        _check_present("connectorProfileCredentials", creds_member, creds,
                       catalog.profile_credentials_required(connector_type), connector_type)
    _check_urls(connector_type, label, props)


def _check_present(
    union: str, member: str | None, given: dict[str, Any], required: tuple[str, ...], connector_type: str
) -> None:
    """The connector's own member is there when the model makes any of its fields required.

    The parser drops members the model does not know, so `{}` and a wrongly spelled member
    (`zendesk` for `Zendesk`) both arrive here as a missing member. The request is model-valid,
    so this is not worded as the model validator's "N validation errors detected".
    """
    if member is None or not required or given.get(member) is not None:
        return
    raise ValidationException(
        f"A {connector_type} connector profile needs connectorProfileConfig.{union}.{member} "
        f"(with {', '.join(required)}), and the request has none; member names are case-sensitive."
    )


def _check_urls(connector_type: str, label: str | None, props: dict[str, Any]) -> None:
    """The vendor URLs among the properties are ones Sluice may call (https, public, the vendor's
    own hosts): refused before anything is sent anywhere, without DNS (connectors/outbound.py)."""
    spec = catalog.spec(connector_type, label)
    hosts = spec.vendor_hosts() if spec is not None and spec.vendor_hosts is not None else None
    _, member = unwrap(props)
    try:
        outbound.check_profile_urls(member, hosts)
    except ConnectorError as exc:
        raise to_service_error(exc) from None


class ConnectorProfiles:
    """The four connector-profile operations."""

    def __init__(self, store: Store, paginator: Paginator, max_profiles: int) -> None:
        self.store = store
        self.secrets = ConnectorSecrets(store)
        self.paginator = paginator
        self.max_profiles = max_profiles

    def create_connector_profile(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """CreateConnectorProfile; the credentials are checked against the vendor first."""
        secret_arn = credentials_arn(caller, params["connectorProfileName"])
        config = self._checked_config(
            caller, "CreateConnectorProfile", params, params["connectorType"], params.get("connectorLabel"), secret_arn
        )
        return idempotency.once(
            self.store, caller, "CreateConnectorProfile", params,
            lambda tx: self._create(tx, caller, params, config, secret_arn),
        )

    def _checked_config(
        self,
        caller: Caller,
        operation: str,
        params: dict[str, Any],
        connector_type: str,
        label: str | None,
        secret_arn: str,
    ) -> dict[str, Any]:
        """The profile config to store: credentials checked (and e.g. exchanged) by the connector.

        Runs outside any transaction, since it talks to the vendor. A repeat of an earlier call
        (same clientToken) is not checked again: an authorization code works only once, and the
        repeat answers with the first call's response anyway.
        """
        config: dict[str, Any] = params["connectorProfileConfig"]
        creds = config.get("connectorProfileCredentials")
        spec = catalog.spec(connector_type, label)
        # A native plug-in is checked even without credentials (e.g. that its folder exists).
        if spec is None or spec.check_profile is None or (creds is None and spec.label is None):
            return config
        if idempotency.seen(self.store, caller, operation, params):
            return config
        _check_members(connector_type, label, config)
        _, properties = unwrap(config.get("connectorProfileProperties"))
        member, credentials = unwrap(creds)
        try:
            if connector_type == catalog.CUSTOM and label and spec.label is None:
                checked = self._check_custom(caller, params["connectorProfileName"], label, properties,
                                             credentials, secret_arn, spec.check_profile)
            else:
                view = ProfileView(params["connectorProfileName"], connector_type, label, properties, credentials,
                                   credentials_arn=secret_arn, aws=aws_identity(self.store, caller.account_id))
                checked = spec.check_profile(view)
        except ConnectorError as exc:
            raise to_service_error(exc) from exc
        if creds is None:
            return config
        return {**config, "connectorProfileCredentials": {member or connector_type: dict(checked)}}

    def _check_custom(
        self,
        caller: Caller,
        name: str,
        label: str,
        properties: dict[str, Any],
        credentials: dict[str, Any],
        secret_arn: str,
        check: Any,
    ) -> Any:
        """Check a custom connector profile: its code reads the credentials from the staged secret."""
        registration = registration_view(self.store, caller.account_id, caller.region, label)
        if not registration:
            raise ValidationException(f"The connectorLabel {label} is not registered; register the connector first.")

        def restage(new: Any) -> None:  # e.g. after an OAuth exchange, before ValidateCredentials
            stack.enter_context(self.secrets.staged(caller.account_id, label, secret_arn, catalog.CUSTOM, new))

        with ExitStack() as stack:
            stack.enter_context(self.secrets.staged(caller.account_id, label, secret_arn, catalog.CUSTOM, credentials))
            view = ProfileView(name, catalog.CUSTOM, label, properties, credentials, save_credentials=restage,
                               credentials_arn=secret_arn, registration=registration,
                               invocation_env=invocation_env(self.store, caller.account_id, caller.region, label),
                               aws=aws_identity(self.store, caller.account_id))
            return check(view)

    def _create(
        self, tx: Scoped, caller: Caller, params: dict[str, Any], config: dict[str, Any], secret_arn: str
    ) -> dict[str, Any]:
        name = params["connectorProfileName"]
        connector_type = params["connectorType"]
        label = params.get("connectorLabel")
        _check_config(tx, connector_type, label, config)
        if tx.profile(name) is not None:
            raise ConflictException(f"A connector profile named {name} already exists.")
        if tx.count_profiles() >= self.max_profiles:
            raise ServiceQuotaExceededException(
                f"This account already has {self.max_profiles} connector profiles, the quota for the region."
            )
        arn = profile_arn(caller, name)
        stamp = now()
        creds = config.get("connectorProfileCredentials")
        profile = ConnectorProfile(
            name=name,
            arn=arn,
            connector_type=connector_type,
            connector_label=label if connector_type == catalog.CUSTOM else None,
            connection_mode=params["connectionMode"],
            credentials_arn=secret_arn,
            kms_arn=params.get("kmsArn"),
            properties=config.get("connectorProfileProperties") or {},
            credentials_enc=self.store.box.seal_json(creds, arn) if creds is not None else None,
            created_at=stamp,
            last_updated_at=stamp,
        )
        try:
            tx.add(profile)
        except DuplicateError as exc:
            raise ConflictException(f"A connector profile named {name} already exists.") from exc
        return {"connectorProfileArn": arn}

    def update_connector_profile(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateConnectorProfile: new properties, and new credentials (checked first) when given."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            current = tx.profile(params["connectorProfileName"])
            kind = (
                (current.connector_type, current.connector_label, current.credentials_arn)
                if current is not None else None
            )
        config = params["connectorProfileConfig"]
        if kind is not None:
            config = self._checked_config(caller, "UpdateConnectorProfile", params, kind[0], kind[1], kind[2])
        return idempotency.once(
            self.store, caller, "UpdateConnectorProfile", params, lambda tx: self._update(tx, params, config)
        )

    def _update(self, tx: Scoped, params: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        name = params["connectorProfileName"]
        profile = tx.profile(name)
        if profile is None:
            raise ResourceNotFoundException(f"The connector profile {name} does not exist.")
        _check_config(tx, profile.connector_type, profile.connector_label, config)
        profile.connection_mode = params["connectionMode"]
        profile.properties = config.get("connectorProfileProperties") or {}
        creds = config.get("connectorProfileCredentials")
        if creds is not None:
            profile.credentials_enc = self.store.box.seal_json(creds, profile.arn)
        profile.last_updated_at = now()
        return {"connectorProfileArn": profile.arn}

    def delete_connector_profile(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteConnectorProfile; 409 naming the flows that use it unless `forceDelete`."""
        name = params["connectorProfileName"]
        with self.store.scoped(caller.account_id, caller.region) as tx:
            profile = tx.profile(name)
            if profile is None:
                raise ResourceNotFoundException(f"The connector profile {name} does not exist.")
            users = flows_using_profile(tx, name)
            if users and not params.get("forceDelete"):
                raise ConflictException(
                    f"The connector profile {name} is used by the flows {', '.join(users)}; "
                    "delete them first or pass forceDelete."
                )
            tx.delete(profile)
            tx.clear_metadata(None, name, None)
        return {}

    def describe_connector_profiles(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeConnectorProfiles, filtered by names, type and label, paginated."""
        names = params.get("connectorProfileNames")
        connector_type = params.get("connectorType")
        label = params.get("connectorLabel")
        limit = params.get("maxResults") or 100
        filters = [sorted(names or []), connector_type, label]
        with self.store.scoped(caller.account_id, caller.region) as tx:
            after = self.paginator.read(caller, "DescribeConnectorProfiles", params.get("nextToken"), filters)
            rows, cursor = tx.profiles(names, connector_type, label, after, limit)
            details = [describe(row) for row in rows]
        return {
            "connectorProfileDetails": details,
            "nextToken": self.paginator.mint(caller, "DescribeConnectorProfiles", cursor, filters),
        }


def describe(profile: ConnectorProfile) -> dict[str, Any]:
    """A profile as AppFlow's `ConnectorProfile` shape - without any credential."""
    props_member = catalog.profile_properties_member(profile.connector_type)
    properties = dict(profile.properties or {})
    if props_member and props_member not in properties:
        properties[props_member] = {}
    return {
        "connectorProfileArn": profile.arn,
        "connectorProfileName": profile.name,
        "connectorType": profile.connector_type,
        "connectorLabel": profile.connector_label,
        "connectionMode": profile.connection_mode,
        "credentialsArn": profile.credentials_arn,
        "connectorProfileProperties": properties,
        "createdAt": to_datetime(profile.created_at),
        "lastUpdatedAt": to_datetime(profile.last_updated_at),
    }

