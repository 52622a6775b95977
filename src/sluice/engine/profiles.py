"""Connector profiles as connectors see them (engine layer).

A stored profile keeps AppFlow's union-shaped dicts (`{"Salesforce": {...}}`); a connector gets
its own member only (see `ProfileView`). `profile_view` unwraps a stored row and gives the view
a `save_credentials` that seals replacement credentials (a refreshed OAuth token) back into the
row, wrapped again. The service layer and the run executor both build views here, so the two
forms cannot drift apart. `aws_identity` is the AWS identity every view and run of an account
carries (`connectors.aws_identity`): the server's own for the default account, else only what
`sluice accounts aws` configured for the account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from sluice.connectors import aws_identity as identities
from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ProfileView
from sluice.settings import current
from sluice.store import aws_identities
from sluice.store.accounts import is_default_account
from sluice.store.connector_keys import connector_keys
from sluice.store.models import ConnectorProfile, ConnectorRegistration
from sluice.store.repository import Store

CUSTOM = "CustomConnector"


def unwrap(union: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """`(member name, member)` of a one-member union dict; `(None, {})` for an empty one."""
    if not union:
        return None, {}
    if len(union) == 1:
        key, value = next(iter(union.items()))
        if isinstance(value, Mapping):
            return key, dict(value)
    return None, dict(union)


def aws_identity(store: Store, account_id: str) -> AwsIdentity:
    """The AWS identity the account's work runs as (never the server's, unless it is the default account)."""
    if aws_identities.is_default(store, account_id):
        return identities.SERVER
    return identities.from_settings(account_id, aws_identities.load_identity(store, account_id))


def profile_view(store: Store, row: ConnectorProfile) -> ProfileView:
    """The connector's view of a stored profile, able to save refreshed credentials."""
    props_key, properties = unwrap(row.properties)
    sealed = store.box.open_json(row.credentials_enc, row.arn) if row.credentials_enc else {}
    creds_key, credentials = unwrap(sealed)
    member = creds_key or props_key or row.connector_type
    account_id, region, name = row.account_id, row.region, row.name

    def save_credentials(new: Mapping[str, Any]) -> None:
        store.save_credentials(account_id, region, name, {member: dict(new)})

    registration: dict[str, Any] = {}
    env: dict[str, str] = {}
    if row.connector_type == CUSTOM and row.connector_label:
        registration = registration_view(store, account_id, region, row.connector_label)
        env = invocation_env(store, account_id, region, row.connector_label)
    return ProfileView(
        name=row.name,
        connector_type=row.connector_type,
        connector_label=row.connector_label,
        properties=properties,
        credentials=credentials,
        save_credentials=save_credentials,
        credentials_arn=row.credentials_arn,
        registration=registration,
        invocation_env=env,
        aws=aws_identity(store, account_id),
    )


def registration_view(store: Store, account_id: str, region: str, label: str) -> dict[str, Any]:
    """What a custom connector's code path needs of its registration (empty if it is gone).

    `accountId` and `defaultAccount` choose the local handler linked for the account, if any.
    """
    with store.admin() as session:
        reg = session.scalars(select(ConnectorRegistration).where(
            ConnectorRegistration.account_id == account_id,
            ConnectorRegistration.region == region,
            ConnectorRegistration.label == label,
        )).one_or_none()
        if reg is None:
            return {}
        return {
            "connectorLabel": reg.label,
            "lambdaArn": ((reg.provisioning_config or {}).get("lambda") or {}).get("lambdaArn"),
            "connectorVersion": str(reg.version),
            "configuration": dict(reg.configuration or {}),
            "accountId": account_id,
            "defaultAccount": is_default_account(store, account_id),
        }


def public_url() -> str:
    """Where connector code reaches this server (SLUICE_PUBLIC_URL, else the address `sluice serve` listens on)."""
    return current().public_url


def invocation_env(store: Store, account_id: str, region: str, label: str) -> dict[str, str]:
    """The environment connector code runs with: Sluice as its Secrets Manager, the keys of connector `label`."""
    key_id, secret = connector_keys(store, account_id, label)
    return {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": public_url(),
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
