"""Custom connector registrations: Register / UpdateRegistration / Unregister (service layer).

A registration records the connector's label, provisioning (a Lambda ARN) and a version that
`UpdateConnectorRegistration` bumps. Its `ConnectorConfiguration` is kept with it and is what
`DescribeConnector` returns for the label. Unregistering a connector that profiles or flows
still use is a 409 unless `forceDelete`. The labels of AWS-managed connectors
(`sluice.connectors.managed`) are AppFlow's own: registering one is a 409 ConflictException, as
for a label already taken, and there is nothing to update or unregister under such a label.
"""

from __future__ import annotations

from typing import Any

from sluice.connectors import external, managed
from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import check_invocable, describe_lambda
from sluice.engine.profiles import aws_identity, invocation_env
from sluice.service import catalog, idempotency
from sluice.service.common import connector_arn, now, to_datetime
from sluice.service.context import Caller
from sluice.service.errors import (
    ConflictException,
    ConnectorServerException,
    ResourceNotFoundException,
    ValidationException,
)
from sluice.store.accounts import is_default_account
from sluice.store.models import ConnectorRegistration
from sluice.store.repository import DuplicateError, Scoped, Store

CUSTOM = "CustomConnector"


def _configuration(reg: ConnectorRegistration) -> dict[str, Any]:
    """The ConnectorConfiguration a registration answers with, version included."""
    base = dict(reg.configuration)
    base.update({
        "connectorType": CUSTOM,
        "connectorLabel": reg.label,
        "connectorArn": reg.arn,
        "connectorDescription": reg.description,
        "connectorVersion": str(reg.version),
        "connectorProvisioningType": reg.provisioning_type,
        "connectorProvisioningConfig": reg.provisioning_config,
        "registeredAt": reg.registered_at,
        "registeredBy": reg.registered_by,
    })
    return base


def configuration(reg: ConnectorRegistration) -> dict[str, Any]:
    """`ConnectorConfiguration` for DescribeConnector / DescribeConnectors."""
    config = _configuration(reg)
    config["registeredAt"] = to_datetime(reg.registered_at)
    return config


def detail(reg: ConnectorRegistration) -> dict[str, Any]:
    """`ConnectorDetail` for ListConnectors / DescribeConnectors."""
    config = reg.configuration
    return {
        "connectorDescription": reg.description,
        "connectorName": config.get("connectorName") or reg.label,
        "connectorOwner": config.get("connectorOwner") or reg.registered_by,
        "connectorVersion": str(reg.version),
        "applicationType": config.get("applicationType"),
        "connectorType": CUSTOM,
        "connectorLabel": reg.label,
        "registeredAt": to_datetime(reg.registered_at),
        "registeredBy": reg.registered_by,
        "connectorProvisioningType": reg.provisioning_type,
        "connectorModes": config.get("connectorModes"),
        "supportedDataTransferTypes": config.get("supportedDataTransferTypes"),
    }


def users_of(tx: Scoped, label: str) -> list[str]:
    """Names of the profiles and flows that use the custom connector `label`."""
    users = [
        f"profile {p.name}" for p in tx.profiles(None, CUSTOM, label, None, 10_000)[0]
    ]
    users += [f"flow {f.name}" for f in tx.all_flows() if label in (f.config.get("connectorLabels") or [])]
    return users


class Registrations:
    """The custom connector registration operations."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def register_connector(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """RegisterConnector: the Lambda describes itself; its answer is the registration's configuration."""
        label = params.get("connectorLabel")
        if not label:
            raise ValidationException("connectorLabel is required to register a connector.")
        if external.is_external(label):  # Sluice runs these itself (connectors/external/)
            raise ConflictException(
                f"The connectorLabel {label} names an Airbyte source or Singer tap, which Sluice runs without "
                "registration; register your own connector under another label."
            )
        if managed.is_managed(label):
            raise ConflictException(
                f"The connectorLabel {label} belongs to an AWS managed connector, which needs no registration; "
                "register your own connector under another label."
            )
        provisioning = params.get("connectorProvisioningConfig") or {}
        lambda_arn = (provisioning.get("lambda") or {}).get("lambdaArn")
        if params.get("connectorProvisioningType") != "LAMBDA" or not lambda_arn:
            raise ValidationException(
                "Register a connector with connectorProvisioningType LAMBDA and "
                "connectorProvisioningConfig.lambda.lambdaArn."
            )
        described: dict[str, Any] = {}
        if not idempotency.seen(self.store, caller, "RegisterConnector", params):
            with self.store.scoped(caller.account_id, caller.region) as tx:
                if tx.registration(label) is not None:
                    raise ConflictException(f"A connector with the label {label} is already registered.")
            described = self._describe(caller, label, lambda_arn)
        return idempotency.once(
            self.store, caller, "RegisterConnector", params, lambda tx: self._register(tx, caller, params, described)
        )

    def _describe(self, caller: Caller, label: str, lambda_arn: str) -> dict[str, Any]:
        """The connector's own configuration, asked of its Lambda outside any transaction."""
        aws = aws_identity(self.store, caller.account_id)
        default_account = is_default_account(self.store, caller.account_id)
        try:
            check_invocable(lambda_arn, aws, account_id=caller.account_id, default_account=default_account)
        except ConnectorError as exc:  # a function this account may not use (or no function ARN)
            raise ValidationException(exc.message) from exc
        try:
            described = describe_lambda(
                lambda_arn, invocation_env(self.store, caller.account_id, caller.region, label), aws,
                account_id=caller.account_id, default_account=default_account,
            )
        except ConnectorError as exc:
            raise ConnectorServerException(
                f"The connector's Lambda {lambda_arn} could not describe itself ({exc.code}): {exc.message}"
            ) from exc
        if described.get("canUseAsSource") and not described.get("supportedDestinationConnectors"):
            # Flow validation reads this list; the catalog's CustomConnector entry states it.
            described["supportedDestinationConnectors"] = list(
                catalog.capabilities(CUSTOM).get("supportedDestinationConnectors") or []
            )
        return described

    def _register(
        self, tx: Scoped, caller: Caller, params: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        label = params["connectorLabel"]
        provisioning_type = params["connectorProvisioningType"]
        provisioning = params.get("connectorProvisioningConfig") or {}
        if tx.registration(label) is not None:
            raise ConflictException(f"A connector with the label {label} is already registered.")
        registration = ConnectorRegistration(
            label=label,
            arn=connector_arn(caller, label),
            description=params.get("description"),
            provisioning_type=provisioning_type,
            provisioning_config=provisioning,
            version=1,
            configuration=described,
            registered_at=now(),
            registered_by=caller.caller_arn,
        )
        try:
            tx.add(registration)
        except DuplicateError as exc:
            raise ConflictException(f"A connector with the label {label} is already registered.") from exc
        return {"connectorArn": registration.arn}

    def update_connector_registration(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateConnectorRegistration: new description/provisioning, re-described, next version."""
        label = params["connectorLabel"]
        described: dict[str, Any] | None = None
        if not idempotency.seen(self.store, caller, "UpdateConnectorRegistration", params):
            with self.store.scoped(caller.account_id, caller.region) as tx:
                registration = tx.registration(label)
                if registration is None:
                    raise ResourceNotFoundException(f"No connector with the label {label} is registered.")
                provisioning = params.get("connectorProvisioningConfig") or registration.provisioning_config
            lambda_arn = (provisioning.get("lambda") or {}).get("lambdaArn")
            if not lambda_arn:
                raise ValidationException("connectorProvisioningConfig.lambda.lambdaArn is required.")
            described = self._describe(caller, label, lambda_arn)
        return idempotency.once(
            self.store, caller, "UpdateConnectorRegistration", params, lambda tx: self._update(tx, params, described)
        )

    def _update(self, tx: Scoped, params: dict[str, Any], described: dict[str, Any] | None) -> dict[str, Any]:
        label = params["connectorLabel"]
        registration = tx.registration(label)
        if registration is None:
            raise ResourceNotFoundException(f"No connector with the label {label} is registered.")
        if params.get("description") is not None:
            registration.description = params["description"]
        if params.get("connectorProvisioningConfig") is not None:
            registration.provisioning_config = params["connectorProvisioningConfig"]
        if described is not None:
            registration.configuration = described
        registration.version += 1
        return {"connectorArn": registration.arn}

    def unregister_connector(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """UnregisterConnector; 409 while profiles or flows use it, unless `forceDelete`."""
        label = params["connectorLabel"]
        with self.store.scoped(caller.account_id, caller.region) as tx:
            registration = tx.registration(label)
            if registration is None:
                raise ResourceNotFoundException(f"No connector with the label {label} is registered.")
            users = users_of(tx, label)
            if users and not params.get("forceDelete"):
                raise ConflictException(
                    f"The connector {label} is in use by {', '.join(users)}; "
                    "delete them first or pass forceDelete."
                )
            tx.delete(registration)
        return {}
