"""sluice.api.dispatch: one handler per model operation, each named by botocore's `xform_name`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore import xform_name

from sluice.api.dispatch import Handler, operations
from sluice.api.runtime import open_store
from sluice.config import Settings
from sluice.engine.executor import LocalExecutor
from sluice.protocol.model import service_model
from sluice.service.services import Services, build_services


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services over a fresh SQLite store in a temp data dir (no run workers)."""
    store = open_store(Settings(data_dir=tmp_path_factory.mktemp("dispatch") / "data"))
    try:
        yield build_services(store, LocalExecutor(store, 0), max_profiles=100, max_flows=1000)
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def table(services: Services) -> dict[str, Handler]:
    return operations(services)


def test_keys_are_the_models_operation_names(table: dict[str, Handler]) -> None:
    assert sorted(table) == sorted(service_model().operation_names)
    assert len(table) == 25


@pytest.mark.parametrize("operation", sorted(service_model().operation_names))
def test_handler_is_named_by_xform_name(table: dict[str, Handler], operation: str) -> None:
    handler = table[operation]
    assert callable(handler)
    assert handler.__name__ == xform_name(operation)


def test_handlers_are_methods_of_the_service_groups(services: Services, table: dict[str, Handler]) -> None:
    groups = {id(getattr(services, f.name)) for f in dataclasses.fields(services)}
    for operation, handler in table.items():
        owner = getattr(handler, "__self__", None)
        assert owner is not None and id(owner) in groups, operation


def test_the_table_is_built_fresh_for_each_services(services: Services, tmp_path: Path) -> None:
    # Two runtimes (e.g. two server processes) must not share handlers bound to one store.
    store = open_store(Settings(data_dir=tmp_path / "other"))
    try:
        other = operations(build_services(store, LocalExecutor(store, 0), 100, 1000))
    finally:
        store.engine.dispose()
    mine = operations(services)
    assert all(other[name].__self__ is not mine[name].__self__ for name in mine)  # type: ignore[attr-defined]
