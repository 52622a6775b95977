"""Build the running system from settings: store, accounts, executor, services (API layer).

`open_runtime` is the one place that turns `Settings` into live objects; `sluice serve` and
the admin commands both call it, so they always agree on the database and keys.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sluice.config import Settings
from sluice.engine.executor import LocalExecutor
from sluice.scheduler.events import EventSubscriptions
from sluice.scheduler.loop import Scheduler
from sluice.service.services import Services, build_services
from sluice.store.accounts import AccountKeys, ensure_default_account, resolve_access_key
from sluice.store.connector_keys import ensure_root
from sluice.store.crypto import SecretBox, load_master_key
from sluice.store.db import migrate, open_engine, prepare_data_dir, protect_data_dir, sqlite_url
from sluice.store.repository import Store

log = logging.getLogger("sluice")


def open_store(settings: Settings) -> Store:
    """The migrated store for these settings (creating the data dir 0700 and master key if needed)."""
    prepare_data_dir(settings.data_dir, embedded_database=not settings.database_url)
    protect_data_dir(settings.data_dir)
    engine = open_engine(settings.database_url or sqlite_url(settings.data_dir))
    migrate(engine)
    return Store(engine, SecretBox(load_master_key(settings.data_dir, settings.master_key)))


class KeyResolver:
    """Access key -> (secret, account id), read from the store on every request.

    No cache: a deleted account (or a replaced key) must stop working at once in every server
    process, and the lookup is one indexed row plus one AES-GCM open, which a cache would save
    little of.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, access_key_id: str) -> tuple[str, str] | None:
        return resolve_access_key(self.store, access_key_id)


def scheduler_clock(settings: Settings) -> dict[str, Any]:
    """The scheduler's clock and tick: real time, or accelerated time for tests and demos."""
    speed = settings.scheduler_speedup
    if speed == 1.0 and settings.scheduler_epoch is None:
        return {}
    # Time runs `speed` times faster from the instant `epoch`; processes given the same epoch agree.
    epoch = settings.scheduler_epoch if settings.scheduler_epoch is not None else time.time()

    def clock() -> float:
        return epoch + (time.time() - epoch) * speed

    return {"clock": clock, "interval": max(0.05, 1.0 / speed)}


@dataclass
class Runtime:
    """Everything a serving process holds."""

    settings: Settings
    store: Store
    executor: LocalExecutor
    scheduler: Scheduler
    events: EventSubscriptions
    services: Services
    default_keys: AccountKeys
    keys_are_new: bool


def open_runtime(settings: Settings) -> Runtime:
    """Open the store, make sure the default account exists, and build the services."""
    store = open_store(settings)
    ensure_root(store)  # seals a plaintext connector-key root an older Sluice left
    keys, created = ensure_default_account(store, settings.access_key_id, settings.secret_access_key)
    executor = LocalExecutor(store, settings.workers, str(settings.data_dir))
    services = build_services(store, executor, settings.max_profiles, settings.max_flows)
    scheduler = Scheduler(store, executor.submit, **scheduler_clock(settings))
    events = EventSubscriptions(store, executor.submit, str(settings.data_dir))
    return Runtime(settings, store, executor, scheduler, events, services, keys, created)
