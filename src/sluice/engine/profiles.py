"""Connector profiles as connectors see them (engine layer).

A stored profile keeps AppFlow's union-shaped dicts (`{"Salesforce": {...}}`); a connector gets
its own member only (see `ProfileView`). `profile_view` unwraps a stored row and gives the view
a `save_credentials` that seals replacement credentials (a refreshed OAuth token) back into the
row, wrapped again. The service layer and the run executor both build views here, so the two
forms cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ProfileView
from sluice.store.models import ConnectorProfile
from sluice.store.repository import Store


def unwrap(union: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """`(member name, member)` of a one-member union dict; `(None, {})` for an empty one."""
    if not union:
        return None, {}
    if len(union) == 1:
        key, value = next(iter(union.items()))
        if isinstance(value, Mapping):
            return key, dict(value)
    return None, dict(union)


def profile_view(store: Store, row: ConnectorProfile) -> ProfileView:
    """The connector's view of a stored profile, able to save refreshed credentials."""
    props_key, properties = unwrap(row.properties)
    sealed = store.box.open_json(row.credentials_enc, row.arn) if row.credentials_enc else {}
    creds_key, credentials = unwrap(sealed)
    member = creds_key or props_key or row.connector_type
    account_id, region, name = row.account_id, row.region, row.name

    def save_credentials(new: Mapping[str, Any]) -> None:
        store.save_credentials(account_id, region, name, {member: dict(new)})

    return ProfileView(
        name=row.name,
        connector_type=row.connector_type,
        connector_label=row.connector_label,
        properties=properties,
        credentials=credentials,
        save_credentials=save_credentials,
    )
