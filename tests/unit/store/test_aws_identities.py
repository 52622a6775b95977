"""sluice.store.aws_identities: an account's AWS identity, sealed, replaced, cleared, gone with the account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sluice.store import accounts, aws_identities
from sluice.store.models import ServerSetting
from sluice.store.repository import Store
from tests.support.stores import sqlite_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store(tmp_path) as opened:
        yield opened


def test_set_load_replace_clear(store: Store) -> None:
    account = accounts.create_account(store, "tenant").account_id
    assert aws_identities.load_identity(store, account) is None
    aws_identities.set_identity(store, account, {"kind": "keys", "access_key_id": "AKIA1", "secret_access_key": "s3"})
    assert aws_identities.load_identity(store, account) == {
        "kind": "keys", "access_key_id": "AKIA1", "secret_access_key": "s3"}
    aws_identities.set_identity(store, account, {"kind": "role", "role_arn": "arn:aws:iam::222222222222:role/r",
                                                 "external_id": "x"})
    assert aws_identities.load_identity(store, account) == {
        "kind": "role", "role_arn": "arn:aws:iam::222222222222:role/r", "external_id": "x"}
    with store.admin() as session:  # sealed at rest, bound to the account
        sealed = session.scalar(select(ServerSetting.value).where(
            ServerSetting.key == aws_identities.setting_key(account)))
    assert sealed is not None and b"external_id" not in sealed and b"role/r" not in sealed
    assert aws_identities.clear_identity(store, account) is True
    assert aws_identities.clear_identity(store, account) is False
    assert aws_identities.load_identity(store, account) is None


@pytest.mark.parametrize("identity", [
    {"kind": "keys", "access_key_id": "AKIA1"},
    {"kind": "role", "role_arn": "arn:aws:iam::222222222222:role/r"},
    {"kind": "profile"},
])
def test_incomplete_identities_are_refused(store: Store, identity: dict[str, str]) -> None:
    account = accounts.create_account(store, "tenant").account_id
    with pytest.raises(ValueError, match="an AWS identity needs"):
        aws_identities.set_identity(store, account, identity)


def test_only_the_default_account_is_default_and_deleting_forgets_the_identity(store: Store) -> None:
    default, _ = accounts.ensure_default_account(store, None, None)
    other = accounts.create_account(store, "tenant").account_id
    assert aws_identities.is_default(store, default.account_id)
    assert not aws_identities.is_default(store, other)
    assert aws_identities.account_id_of(store, "tenant") == other
    aws_identities.set_identity(store, other, {"kind": "keys", "access_key_id": "A", "secret_access_key": "S"})
    assert accounts.delete_account(store, "tenant")
    assert aws_identities.load_identity(store, other) is None
