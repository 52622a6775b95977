"""A migrated SQLite store, or a whole runtime, in a temp folder, for unit tests of store and engine modules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sluice.api.runtime import Runtime, open_runtime
from sluice.config import Settings
from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.repository import Store


@contextmanager
def sqlite_store(folder: Path) -> Iterator[Store]:
    """A store on `folder/sluice.db`, migrated, with a random master key; disposed on exit."""
    engine = open_engine(sqlite_url(folder))
    migrate(engine)
    try:
        yield Store(engine, SecretBox(os.urandom(32)))
    finally:
        engine.dispose()


@contextmanager
def local_runtime(folder: Path) -> Iterator[Runtime]:
    """An opened runtime (store, services, executor without workers) on `folder`, disposed on exit."""
    runtime = open_runtime(Settings(data_dir=folder, access_key_id="AKIDLOCALTEST", secret_access_key="s", workers=0))
    try:
        yield runtime
    finally:
        runtime.store.engine.dispose()
