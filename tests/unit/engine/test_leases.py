"""sluice.engine.leases and recovery: claims, renewals, take-over of lapsed runs, rollback from manifests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sluice.engine.executor import LocalExecutor
from sluice.engine.leases import LEASE_ENV, RunLeases, lease_seconds
from sluice.engine.recovery import INTERRUPTED
from sluice.store.models import ExecutionRecord, Flow
from sluice.store.repository import Store
from tests.support.stores import sqlite_store


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store(tmp_path) as opened:
        yield opened


def add_run(store: Store, bucket: str = "dst", execution_id: str = "run-1") -> None:
    stamp = time.time()
    config = {"tasks": [], "destinationFlowConfigList": [{
        "connectorType": "S3", "destinationConnectorProperties": {"S3": {"bucketName": bucket}}}]}
    with store.scoped("123456789012", "us-east-1") as tx:
        flow = Flow(
            name="f", arn="arn:aws:appflow:x:y:flow/f", description=None, kms_arn=None, status="Active",
            status_message=None, source_type="S3", source_profile=None, destination_types=["S3"],
            destination_profiles=[], trigger_type="OnDemand", config=config, tags={}, schema_version=1,
            created_at=stamp, created_by="t", last_updated_at=stamp, last_updated_by="t", last_run=None,
        )
        tx.add(flow)
        tx.session.flush()
        tx.add(ExecutionRecord(flow_id=flow.id, execution_id=execution_id, status="InProgress", result={},
                               started_at=stamp, last_updated_at=stamp))


def record(store: Store, execution_id: str = "run-1") -> ExecutionRecord:
    with store.admin() as session:
        row = session.scalars(select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)).one()
        session.expunge(row)
        return row


def test_lease_seconds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEASE_ENV, raising=False)
    assert lease_seconds() == 30.0
    monkeypatch.setenv(LEASE_ENV, "2.5")
    assert lease_seconds() == 2.5
    monkeypatch.setenv(LEASE_ENV, "soon")
    with pytest.raises(ValueError, match=LEASE_ENV):
        lease_seconds()


def test_one_claim_wins_and_renewal_keeps_the_lease(store: Store) -> None:
    add_run(store)
    clock = Clock()
    first, second = RunLeases(store, seconds=10, clock=clock), RunLeases(store, seconds=10, clock=clock)
    assert first.node != second.node
    assert first.claim("run-1") and not second.claim("run-1")
    assert first.holds("run-1") and not second.holds("run-1")
    clock.now += 8
    assert first.renew() == 1
    clock.now += 8  # 16 s after the claim, 8 after the renewal: still held
    assert second.expired() == [] and not second.take_over("run-1")


def test_a_lapsed_lease_is_taken_over_once(store: Store) -> None:
    add_run(store)
    clock = Clock()
    owner, a, b = (RunLeases(store, seconds=10, clock=clock) for _ in range(3))
    assert owner.claim("run-1")
    clock.now += 11  # the owner stopped renewing
    assert a.expired() == ["run-1"]
    assert a.take_over("run-1") and not b.take_over("run-1")
    assert a.holds("run-1") and not owner.holds("run-1")
    assert owner.renew() == 0  # the old owner cannot extend what it lost


def test_recovery_rolls_back_a_published_but_unrecorded_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest lists what the killed run published; recovery removes exactly that."""
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")  # whatever endpoint another test left in the environment
    add_run(store)
    bucket = tmp_path / "s3" / "dst"
    published = [bucket / "out" / "f" / "p=1" / "run-1-part-00000.csv", bucket / "out" / "f" / "run-1-part-00001.csv"]
    staged = bucket / ".sluice-staging" / "run-1" / "run-1-part-00002.csv"
    other = bucket / "out" / "f" / "other-run-part-00000.csv"  # another run's output: untouched
    for path in (*published, staged, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    clock = Clock()
    dead = RunLeases(store, seconds=5, clock=clock)
    assert dead.claim("run-1")
    keys = [str(p.relative_to(bucket)) for p in published] + ["out/f/run-1-part-00002.csv"]
    manifest = {"format": 1, "bucket": "dst", "staging": ".sluice-staging/run-1/", "keys": keys}
    with store.admin() as session:
        row = session.scalars(select(ExecutionRecord)).one()
        row.publications = {"0": {"connectorType": "S3", "label": None, "manifest": manifest}}
    clock.now += 6

    executor = LocalExecutor(store, 0, str(tmp_path), leases=RunLeases(store, seconds=5, clock=clock))
    executor.reclaim_expired()

    after = record(store)
    assert after.status == "Error" and after.publications is None
    assert after.result["errorInfo"]["executionMessage"] == INTERRUPTED
    assert [p.exists() for p in (*published, staged)] == [False, False, False]
    assert other.read_text() == "x\n"


def test_recovery_keeps_the_manifest_when_rollback_fails(store: Store, tmp_path: Path) -> None:
    add_run(store)
    clock = Clock()
    assert RunLeases(store, seconds=5, clock=clock).claim("run-1")
    with store.admin() as session:
        row = session.scalars(select(ExecutionRecord)).one()
        row.publications = {"0": {"connectorType": "NoSuchConnector", "label": None, "manifest": {}}}
    clock.now += 6
    executor = LocalExecutor(store, 0, str(tmp_path), leases=RunLeases(store, seconds=5, clock=clock))
    executor.reclaim_expired()
    after = record(store)
    # Not recorded as ended while its output may be visible; open to the next attempt at once.
    assert after.status == "InProgress" and after.publications
    assert after.lease_owner == executor.node and after.lease_expires_at == 0.0
