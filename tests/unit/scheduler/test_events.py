"""Event-flow subscriptions on a real store: leases, spooled batches, cursors, stop and resume.

The Salesforce connector's event stream is replaced by a scripted in-memory stream (the
connector protocol is the unit boundary here); the real CometD path is covered end to end in
tests/integration/test_salesforce_events.py.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sluice.api.runtime import Runtime, open_runtime
from sluice.config import Settings
from sluice.connectors import registry
from sluice.connectors.base import EventBatch, EventContext, ProfileView
from sluice.scheduler.events import EventSubscriptions
from sluice.service.context import Caller
from sluice.store.models import ExecutionRecord, Flow


class ScriptedStream:
    """Hands out the batches a test queues; records how it was opened and closed."""

    opened: list[EventContext] = []
    batches: queue.Queue[EventBatch] = queue.Queue()
    closed = 0

    def __init__(self, profile: ProfileView, props: Any, ctx: EventContext) -> None:
        ScriptedStream.opened.append(ctx)
        self.props = props

    def poll(self, timeout: float) -> EventBatch | None:
        try:
            return ScriptedStream.batches.get(timeout=min(timeout, 0.05))
        except queue.Empty:
            return None

    def close(self) -> None:
        ScriptedStream.closed += 1


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    spec = dataclasses.replace(registry.CONNECTORS["Salesforce"], check_profile=None, load_metadata=None,
                               open_events=ScriptedStream)
    monkeypatch.setitem(registry.CONNECTORS, "Salesforce", spec)
    ScriptedStream.opened, ScriptedStream.batches, ScriptedStream.closed = [], queue.Queue(), 0
    rt = open_runtime(Settings(data_dir=tmp_path, access_key_id="AKIDEVENTS", secret_access_key="s", workers=0))
    yield rt
    rt.store.engine.dispose()


def caller(rt: Runtime) -> Caller:
    return Caller(rt.default_keys.account_id, "us-east-1", f"arn:aws:iam::{rt.default_keys.account_id}:root")


def event_flow(rt: Runtime, name: str) -> None:
    rt.services.connector_profiles.create_connector_profile(caller(rt), {
        "connectorProfileName": "sf", "connectorType": "Salesforce", "connectionMode": "Public",
        "connectorProfileConfig": {"connectorProfileProperties": {"Salesforce": {"instanceUrl": "https://acme.my.salesforce.com"}},
                                   "connectorProfileCredentials": {"Salesforce": {"accessToken": "t"}}},
    })
    rt.services.flows.create_flow(caller(rt), {
        "flowName": name,
        "triggerConfig": {"triggerType": "Event"},
        "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": "sf",
                             "sourceConnectorProperties": {"Salesforce": {"object": "Account"}}},
        "destinationFlowConfigList": [{"connectorType": "S3",
                                       "destinationConnectorProperties": {"S3": {"bucketName": "out"}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"}}],
    })


def runs(rt: Runtime, name: str) -> list[ExecutionRecord]:
    with rt.store.admin() as session:
        flow = session.scalars(select(Flow).where(Flow.name == name)).one()
        return list(session.scalars(select(ExecutionRecord).where(ExecutionRecord.flow_id == flow.id)
                                    .order_by(ExecutionRecord.id)))


def cursor(rt: Runtime, name: str) -> str | None:
    with rt.store.admin() as session:
        return session.scalars(select(Flow.event_cursor).where(Flow.name == name)).one()


def wait_until(check: Any, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def change(record_id: str, name: str, at_ms: float) -> dict[str, Any]:
    return {"Id": record_id, "Name": name, "ChangeType": "UPDATE", "ChangeEventCommitTimestamp": at_ms}


def test_a_batch_becomes_one_queued_run_and_moves_the_cursor(runtime: Runtime) -> None:
    event_flow(runtime, "ev")
    runtime.services.flows.start_flow(caller(runtime), {"flowName": "ev"})
    submitted: list[str] = []
    subs = EventSubscriptions(runtime.store, submitted.append, str(runtime.settings.data_dir))
    try:
        subs.reconcile()
        wait_until(lambda: subs.status()["ready"] == 1)
        assert ScriptedStream.opened[0].replay_from == "-2"  # a new flow: every retained event, cut at activation
        now_ms = time.time() * 1000
        ScriptedStream.batches.put(EventBatch([change("001A", "old", now_ms - 3_600_000),
                                               change("001B", "new", now_ms + 1)], "41"))
        wait_until(lambda: len(submitted) == 1)
        [run] = runs(runtime, "ev")
        assert run.execution_id == submitted[0] and run.status == "InProgress"
        spooled = [json.loads(line) for line in Path(run.event_batch or "").read_text().splitlines()]
        assert [r["Id"] for r in spooled] == ["001B"]  # the change from before activation is not this flow's
        assert cursor(runtime, "ev") == "41"
    finally:
        subs.stop()


def test_stop_flow_unsubscribes_and_a_new_process_resumes_from_the_cursor(runtime: Runtime) -> None:
    event_flow(runtime, "ev")
    runtime.services.flows.start_flow(caller(runtime), {"flowName": "ev"})
    submitted: list[str] = []
    first = EventSubscriptions(runtime.store, submitted.append, str(runtime.settings.data_dir))
    first.reconcile()
    wait_until(lambda: first.status()["ready"] == 1)
    ScriptedStream.batches.put(EventBatch([change("001A", "x", time.time() * 1000 + 5)], "7"))
    wait_until(lambda: len(submitted) == 1)
    first.stop()  # the process goes away; its lease is released
    second = EventSubscriptions(runtime.store, submitted.append, str(runtime.settings.data_dir))
    try:
        second.reconcile()
        wait_until(lambda: second.status()["ready"] == 1)
        assert ScriptedStream.opened[-1].replay_from == "7"
        runtime.services.flows.stop_flow(caller(runtime), {"flowName": "ev"})
        second.reconcile()
        assert second.status()["subscriptions"] == 0
        wait_until(lambda: ScriptedStream.closed == 2)
        # StartFlow again: only changes from the new activation on, not those made while stopped.
        runtime.services.flows.start_flow(caller(runtime), {"flowName": "ev"})
        assert cursor(runtime, "ev") is None
    finally:
        second.stop()


def test_a_live_lease_of_another_process_is_respected(runtime: Runtime) -> None:
    event_flow(runtime, "ev")
    runtime.services.flows.start_flow(caller(runtime), {"flowName": "ev"})
    holder = EventSubscriptions(runtime.store, lambda _: None, str(runtime.settings.data_dir))
    other = EventSubscriptions(runtime.store, lambda _: None, str(runtime.settings.data_dir))
    try:
        holder.reconcile()
        other.reconcile()
        assert holder.status()["subscriptions"] == 1
        assert other.status()["subscriptions"] == 0
    finally:
        holder.stop()
        other.stop()


def activated_at(rt: Runtime, name: str) -> float:
    with rt.store.admin() as session:
        return float(session.scalars(select(Flow.activated_at).where(Flow.name == name)).one())


def test_the_activation_cut_is_the_start_of_the_activation_second(runtime: Runtime) -> None:
    # Salesforce stamps commits in whole seconds: a change committed after StartFlow returned,
    # in the same second, carries a stamp earlier than the activation instant.
    event_flow(runtime, "ev")
    runtime.services.flows.start_flow(caller(runtime), {"flowName": "ev"})
    second_ms = int(activated_at(runtime, "ev")) * 1000
    submitted: list[str] = []
    subs = EventSubscriptions(runtime.store, submitted.append, str(runtime.settings.data_dir))
    try:
        subs.reconcile()
        wait_until(lambda: subs.status()["ready"] == 1)
        ScriptedStream.batches.put(EventBatch([change("001A", "previous-second", second_ms - 1000),
                                               change("001B", "same-second", second_ms)], "5"))
        wait_until(lambda: len(submitted) == 1)
        # A later batch of the same replay (retained events come in several) is cut the same way.
        ScriptedStream.batches.put(EventBatch([change("001C", "previous-second-too", second_ms - 1000),
                                               change("001D", "later", second_ms + 1000)], "9"))
        wait_until(lambda: len(submitted) == 2)
        spooled = [json.loads(line)["Name"] for run in runs(runtime, "ev")
                   for line in Path(run.event_batch or "").read_text().splitlines()]
        assert spooled == ["same-second", "later"]
        assert cursor(runtime, "ev") == "9"
    finally:
        subs.stop()
