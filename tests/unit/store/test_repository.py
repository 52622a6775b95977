"""sluice.store.repository: scoping, keyset pagination and unique keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.models import ConnectorProfile, ConnectorRegistration, ExecutionRecord, Flow
from sluice.store.repository import DuplicateError, Store

A, B = "111111111111", "222222222222"
R1, R2 = "us-east-1", "eu-west-1"
_ids = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    postgres = request.param == "postgres"
    url = request.getfixturevalue("postgres").create_database() if postgres else sqlite_url(tmp_path)
    engine = open_engine(url)
    migrate(engine)
    try:
        yield Store(engine, SecretBox(os.urandom(32)))
    finally:
        engine.dispose()


def flow(name: str) -> Flow:
    stamp = time.time()
    return Flow(
        name=name, arn=f"arn:aws:appflow:x:y:flow/{name}", description=None, kms_arn=None, status="Active",
        status_message=None, source_type="S3", source_profile=None, destination_types=["S3"],
        destination_profiles=[], trigger_type="OnDemand", config={"tasks": []}, tags={}, schema_version=1,
        created_at=stamp, created_by="test", last_updated_at=stamp, last_updated_by="test", last_run=None,
    )


def profile(name: str) -> ConnectorProfile:
    stamp = time.time()
    return ConnectorProfile(
        name=name, arn=f"arn:aws:appflow:x:y:connectorprofile/{name}", connector_type="Salesforce",
        connector_label=None, connection_mode="Public", credentials_arn="arn:aws:secretsmanager:x:y:secret:z",
        kms_arn=None, properties={}, credentials_enc=None, created_at=stamp, last_updated_at=stamp,
    )


def registration(label: str) -> ConnectorRegistration:
    return ConnectorRegistration(
        label=label, arn=f"arn:aws:appflow:x:y:connector/{label}", description=None, provisioning_type="LAMBDA",
        provisioning_config={"lambda": {"lambdaArn": "arn:aws:lambda:x:y:function:f"}}, version=1,
        configuration={}, registered_at=time.time(), registered_by="test",
    )


def execution(flow_id: int) -> ExecutionRecord:
    stamp = time.time()
    return ExecutionRecord(
        flow_id=flow_id, execution_id=f"run-{next(_ids)}", status="InProgress", result={},
        started_at=stamp, last_updated_at=stamp,
    )


# -- scoping -------------------------------------------------------------------------------------
def test_rows_are_invisible_to_other_accounts_and_regions(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        tx.add(flow("f"))
        tx.add(profile("p"))
        tx.add(registration("c"))
        arn = tx.flow("f").arn  # type: ignore[union-attr]
    for account, region in ((B, R1), (A, R2)):
        with store.scoped(account, region) as tx:
            assert tx.flow("f") is None
            assert tx.flow_by_arn(arn) is None
            assert tx.flow_summaries(None, 100) == ([], None)
            assert tx.all_flows() == []
            assert tx.count_flows() == 0
            assert tx.profile("p") is None
            assert tx.profiles(None, None, None, None, 100) == ([], None)
            assert tx.profiles(["p"], "Salesforce", None, None, 100) == ([], None)
            assert tx.count_profiles() == 0
            assert tx.registration("c") is None
            assert tx.registrations(None, 100) == ([], None)
    with store.scoped(A, R1) as tx:
        found = tx.flow("f")
        assert found is not None and (found.account_id, found.region) == (A, R1)
        assert tx.flow_by_arn(arn) is found
        assert tx.count_flows() == 1 and tx.count_profiles() == 1
        assert [r.label for r in tx.registrations(None, 100)[0]] == ["c"]


def test_add_stamps_the_scope_over_whatever_the_row_said(store: Store) -> None:
    row = flow("stamped")
    row.account_id, row.region = B, R2  # a caller cannot write into another account
    with store.scoped(A, R1) as tx:
        tx.add(row)
    with store.scoped(B, R2) as tx:
        assert tx.flow("stamped") is None
    with store.scoped(A, R1) as tx:
        assert tx.flow("stamped") is not None


def test_same_name_in_other_scopes_is_independent(store: Store) -> None:
    for account, region in ((A, R1), (B, R1), (A, R2)):
        with store.scoped(account, region) as tx:
            tx.add(flow("shared"))
    for account, region in ((A, R1), (B, R1), (A, R2)):
        with store.scoped(account, region) as tx:
            assert tx.count_flows() == 1


def test_executions_are_scoped_with_their_flow(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        tx.add(flow("runs"))
        mine = tx.flow("runs")
        assert mine is not None
        tx.add(execution(mine.id))
    with store.scoped(B, R1) as tx:
        tx.add(flow("runs"))
        theirs = tx.flow("runs")
        assert theirs is not None
        assert tx.executions(theirs, None, 100) == ([], None)
        # Even handed the other account's flow row, the scoped query finds nothing of it.
        assert tx.executions(mine, None, 100) == ([], None)
        assert tx.executions_in_status(mine, ["InProgress"]) == []


# -- keyset pagination ---------------------------------------------------------------------------
def _names(rows: list[Flow]) -> list[str]:
    return [r.name for r in rows]


def test_oldest_first_pages_are_stable_across_inserts(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        for i in range(5):
            tx.add(flow(f"f{i}"))
    with store.scoped(A, R1) as tx:
        first, cursor = tx.flow_summaries(None, 2)
    assert _names(first) == ["f0", "f1"] and cursor is not None
    # Rows created between pages (in this and in another scope) neither shift nor repeat rows.
    with store.scoped(A, R1) as tx:
        tx.add(flow("late0"))
    with store.scoped(B, R1) as tx:
        tx.add(flow("other-account"))
    with store.scoped(A, R1) as tx:
        second, cursor = tx.flow_summaries(cursor, 2)
    assert _names(second) == ["f2", "f3"] and cursor is not None
    with store.scoped(A, R1) as tx:
        tx.add(flow("late1"))
        third, cursor = tx.flow_summaries(cursor, 2)
    assert _names(third) == ["f4", "late0"] and cursor is not None
    with store.scoped(A, R1) as tx:
        last, cursor = tx.flow_summaries(cursor, 2)
    assert _names(last) == ["late1"] and cursor is None


def test_a_deleted_row_does_not_break_the_cursor(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        for i in range(4):
            tx.add(flow(f"d{i}"))
        first, cursor = tx.flow_summaries(None, 2)
    with store.scoped(A, R1) as tx:
        tx.delete(tx.flow("d1"))  # the row the cursor points at
        rest, cursor = tx.flow_summaries(cursor, 10)
    assert _names(first) == ["d0", "d1"]
    assert _names(rest) == ["d2", "d3"] and cursor is None


def test_newest_first_pages_are_stable_across_inserts(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        tx.add(flow("runner"))
        owner = tx.flow("runner")
        assert owner is not None
        for _ in range(5):
            tx.add(execution(owner.id))
        everything = [r.execution_id for r in tx.executions(owner, None, 100)[0]]
        first, cursor = tx.executions(owner, None, 2)
    assert [r.execution_id for r in first] == everything[:2]
    with store.scoped(A, R1) as tx:
        tx.add(execution(owner.id))  # newer than every page already served: it never shows up
        seen = [r.execution_id for r in first]
        while cursor is not None:
            page, cursor = tx.executions(owner, cursor, 2)
            seen += [r.execution_id for r in page]
    assert seen == everything


def test_exact_page_boundary_has_no_next_cursor(store: Store) -> None:
    with store.scoped(A, R1) as tx:
        for i in range(4):
            tx.add(registration(f"r{i}"))
        page, cursor = tx.registrations(None, 4)
        assert len(page) == 4 and cursor is None
        page, cursor = tx.registrations(None, 3)
        assert len(page) == 3 and cursor is not None
        page, cursor = tx.registrations(cursor, 3)
        assert [r.label for r in page] == ["r3"] and cursor is None


# -- unique keys ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [flow, profile, registration], ids=["flow", "profile", "registration"])
def test_unique_clash_is_a_duplicate_error(store: Store, make: object) -> None:
    with store.scoped(A, R1) as tx:
        tx.add(make("twin"))  # type: ignore[operator]
    with pytest.raises(DuplicateError), store.scoped(A, R1) as tx:
        tx.add(make("twin"))  # type: ignore[operator]
    # The failed transaction rolled back and left the first row alone.
    with store.scoped(A, R1) as tx:
        assert tx.count_flows() + tx.count_profiles() + len(tx.registrations(None, 10)[0]) == 1


def test_a_duplicate_rolls_back_the_whole_transaction(store: Store) -> None:
    # DuplicateError propagates out of `scoped`, so the whole transaction rolls back.
    with store.scoped(A, R1) as tx:
        tx.add(flow("existing"))
    with pytest.raises(DuplicateError), store.scoped(A, R1) as tx:
        tx.add(flow("fresh"))
        tx.add(flow("existing"))
    with store.scoped(A, R1) as tx:
        assert tx.flow("fresh") is None
        assert tx.count_flows() == 1
