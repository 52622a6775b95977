"""sluice.store.connector_keys: keys per (account, connector label) under a root sealed with the master key."""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.api.runtime import open_store
from sluice.config import Settings
from sluice.store import accounts
from sluice.store import connector_keys as keys_module
from sluice.store.connector_keys import (
    LEGACY_SETTING,
    SETTING,
    connector_keys,
    ensure_root,
    key_scope,
    label_tag,
    resolve_connector_key,
)
from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.models import ServerSetting
from sluice.store.repository import Store
from tests.support.stores import sqlite_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store(tmp_path) as opened:
        yield opened


def stored(store: Store) -> dict[str, bytes]:
    with store.admin() as session:
        return {row.key: bytes(row.value) for row in session.query(ServerSetting)}


def test_keys_are_per_account_and_label(store: Store) -> None:
    account = accounts.create_account(store, "a").account_id
    first, second = connector_keys(store, account, "first"), connector_keys(store, account, "second")
    assert first != second and first == connector_keys(store, account, "first")
    assert key_scope(first[0]) == (account, label_tag("first"))
    assert resolve_connector_key(store, first[0]) == (first[1], account)
    assert key_scope("AKIDSLUICETEST000001") is None and resolve_connector_key(store, "AKIDSLUICETEST000001") is None


def test_keys_of_a_deleted_account_resolve_to_nothing(store: Store) -> None:
    account = accounts.create_account(store, "gone").account_id
    key_id, _ = connector_keys(store, account, "c")
    assert accounts.delete_account(store, "gone")
    assert resolve_connector_key(store, key_id) is None


def test_the_root_is_stored_sealed(store: Store) -> None:
    root = ensure_root(store)
    rows = stored(store)
    assert LEGACY_SETTING not in rows and rows[SETTING] != root and root not in rows[SETTING]


def test_a_plaintext_root_is_sealed_and_kept(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url(tmp_path))
    migrate(engine)
    store = Store(engine, SecretBox(os.urandom(32)))
    legacy = os.urandom(32)
    with store.admin() as session:
        session.add(ServerSetting(key=LEGACY_SETTING, value=legacy))
    key_id, secret = connector_keys(store, "123456789012", "c")
    assert secret == hmac.new(legacy, f"connector-secrets:{key_id}".encode(), hashlib.sha256).hexdigest()
    rows = stored(store)
    assert LEGACY_SETTING not in rows and legacy not in rows[SETTING]
    engine.dispose()


def test_each_store_derives_from_its_own_root_and_a_gone_store_leaves_no_entry(tmp_path: Path) -> None:
    first = open_store(Settings(data_dir=tmp_path / "one"))
    first_keys = keys_module.connector_keys(first, "111122223333", "c")
    assert first in keys_module._roots
    cached = len(keys_module._roots)
    first.engine.dispose()
    del first
    gc.collect()
    # The cache is keyed by the store object, so nothing of the old store survives it (an id()
    # key would: Python hands a freed object's id to the next one).
    assert len(keys_module._roots) == cached - 1
    second = open_store(Settings(data_dir=tmp_path / "two"))
    second_keys = keys_module.connector_keys(second, "111122223333", "c")
    assert second_keys != first_keys
    assert keys_module.connector_keys(second, "111122223333", "c") == second_keys
