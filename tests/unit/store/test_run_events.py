"""store/run_events.py: a run's bounded log on SQLite and PostgreSQL (migration 0007)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from sluice.store import run_events
from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.models import ExecutionRecord, RunEvent
from sluice.store.repository import Store
from tests.unit.store.test_repository import execution, flow

A, B, REGION = "111111111111", "222222222222", "us-east-1"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = request.getfixturevalue("postgres").create_database() if request.param == "postgres" else sqlite_url(tmp_path)
    engine = open_engine(url)
    migrate(engine)
    try:
        yield Store(engine, SecretBox(os.urandom(32)))
    finally:
        engine.dispose()


def a_run(store: Store, account: str = A) -> ExecutionRecord:
    with store.scoped(account, REGION) as tx:
        owner = flow(f"f-{account}")
        tx.add(owner)
        record = execution(owner.id)
        tx.add(record)
        return record


def events(first: int, last: int) -> list[run_events.Event]:
    return [run_events.Event(seq, float(seq), "info", "page", f"event {seq}") for seq in range(first, last + 1)]


def test_events_read_back_in_order_after_a_seq(store: Store) -> None:
    record = a_run(store)
    with store.admin() as session:
        run_events.append(session, record.id, events(1, 5))
    with store.admin() as session:
        run_events.append(session, record.id, events(6, 7))
    with store.admin() as session:
        assert [e.seq for e in run_events.read(session, record.id, 0, 100)] == [1, 2, 3, 4, 5, 6, 7]
        assert [e.message for e in run_events.read(session, record.id, 4, 2)] == ["event 5", "event 6"]
        assert run_events.dropped(session, record.id) == 0


def test_the_log_keeps_its_first_and_last_events_and_counts_the_rest(store: Store) -> None:
    record = a_run(store)
    cap = run_events.HEAD + run_events.TAIL
    total = cap + 337
    for start in range(1, total + 1, 250):  # flushed in slices, as a running run does
        with store.admin() as session:
            run_events.append(session, record.id, events(start, min(total, start + 249)))
    with store.admin() as session:
        kept = [e.seq for e in run_events.read(session, record.id, 0, 10 * cap)]
        assert kept == [*range(1, run_events.HEAD + 1), *range(total - run_events.TAIL + 1, total + 1)]
        assert run_events.dropped(session, record.id) == total - cap


def test_scoped_reads_see_only_their_accounts_runs(store: Store) -> None:
    mine, theirs = a_run(store, A), a_run(store, B)
    with store.admin() as session:
        run_events.append(session, mine.id, events(1, 2))
        run_events.append(session, theirs.id, events(1, 3))
    with store.scoped(B, REGION) as tx:
        record = tx.session.get(ExecutionRecord, mine.id)
        assert record is not None and tx.run_events(record, 0, 10) == []
    with store.scoped(A, REGION) as tx:
        record = tx.session.get(ExecutionRecord, mine.id)
        assert record is not None and [e.seq for e in tx.run_events(record, 0, 10)] == [1, 2]


def test_events_go_with_their_execution_record(store: Store) -> None:
    record = a_run(store)
    with store.admin() as session:
        run_events.append(session, record.id, events(1, 3))
    with store.admin() as session:
        session.execute(delete(ExecutionRecord).where(ExecutionRecord.id == record.id))
    with store.admin() as session:
        assert session.scalar(select(func.count(RunEvent.id))) == 0
