"""EventBridge destination: batch limits, entry sizes as AWS counts them, refusals and retries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.event_bridge.destination import (
    MAX_BYTES,
    EventBridgeDestination,
    batches,
    entry_size,
)


class Events:
    """A stand-in `events` client: records calls; refuses entries as told."""

    def __init__(self, refuse: dict[int, str] | None = None, throttle_rounds: int = 0) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.refuse = refuse or {}  # record "n" -> error code
        self.throttle_rounds = throttle_rounds
        self.seen = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        assert len(Entries) <= 10 and sum(entry_size(e) for e in Entries) <= MAX_BYTES
        self.calls.append(Entries)
        out = []
        for entry in Entries:
            n = json.loads(entry["Detail"])["n"]
            if self.throttle_rounds and n == 0:
                self.throttle_rounds -= 1
                out.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
            elif n in self.refuse:
                out.append({"ErrorCode": self.refuse[n], "ErrorMessage": "no"})
            else:
                self.seen += 1
                out.append({"EventId": f"id-{n}"})
        return {"FailedEntryCount": sum(1 for o in out if "ErrorCode" in o), "Entries": out}


@pytest.fixture(autouse=True)
def _local_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error buckets are folders of tmp_path, whatever S3 endpoint another test left in the environment."""
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")


def _ctx(tmp_path: Path) -> RunContext:
    return RunContext(flow_name="flow", execution_id="e1", schema_version=1, started_at=0.0, data_dir=str(tmp_path))


def _destination(tmp_path: Path, client: Events, **errors: Any) -> EventBridgeDestination:
    props = {"object": "aws.partner/appflow/test", "errorHandlingConfig": errors}
    return EventBridgeDestination(ProfileView(None, "EventBridge"), props, _ctx(tmp_path), client=client,
                                  sleep=lambda _: None)


def test_entry_size_counts_utf8_bytes_and_time() -> None:
    entry = {"Source": "s", "DetailType": "dt", "Detail": '{"a":"é"}', "Resources": ["r1"]}
    assert entry_size(entry) == 1 + 2 + len('{"a":"é"}'.encode()) + 2
    assert entry_size({**entry, "Time": "anything"}) == entry_size(entry) + 14


def test_batches_hold_ten_entries_and_256_kb() -> None:
    small = [({}, {}, 10)] * 25
    assert [len(b) for b in batches(iter(small))] == [10, 10, 5]
    big = [({}, {}, 100_000)] * 5
    assert [len(b) for b in batches(iter(big))] == [2, 2, 1]


def test_records_become_events_with_refusals_in_the_error_bucket(tmp_path: Path) -> None:
    client = Events(refuse={3: "InvalidArgument"}, throttle_rounds=2)
    (tmp_path / "s3" / "errs").mkdir(parents=True)
    destination = _destination(tmp_path, client, bucketName="errs")
    rows = [{"n": i, "text": "x" * (MAX_BYTES if i == 5 else 10)} for i in range(23)]
    destination.write(pa.RecordBatch.from_pylist(rows))
    result = destination.commit()
    assert result.records_written == 21 and result.put_failures == 2
    assert client.seen == 21
    first = client.calls[0][0]
    assert first["EventBusName"] == first["Source"] == "aws.partner/appflow/test"
    assert first["DetailType"] == "flow" and json.loads(first["Detail"]) == {"n": 0, "text": "x" * 10}
    errors = (tmp_path / "s3" / "errs" / "flow" / "e1" / "errors.jsonl").read_text().splitlines()
    codes = sorted((json.loads(line)["n"], json.loads(line)["errorCode"]) for line in errors)
    assert codes == [(3, "InvalidArgument"), (5, "EntryTooLarge")]


def test_throttling_that_never_ends_refuses_the_entry(tmp_path: Path) -> None:
    client = Events(throttle_rounds=100)
    destination = _destination(tmp_path, client)
    destination.write(pa.RecordBatch.from_pylist([{"n": 0}, {"n": 1}]))
    result = destination.commit()
    assert (result.records_written, result.put_failures) == (1, 1)
    assert len(client.calls) == 4  # ENTRY_ATTEMPTS sends of the throttled entry, then refused


def test_fail_fast_stops_after_the_call_with_a_refusal(tmp_path: Path) -> None:
    client = Events(refuse={12: "InvalidArgument"})
    destination = _destination(tmp_path, client, failOnFirstDestinationError=True)
    destination.write(pa.RecordBatch.from_pylist([{"n": i} for i in range(40)]))
    with pytest.raises(ConnectorError) as caught:
        destination.commit()
    assert len(client.calls) == 2 and client.seen == 19
    assert "19 event(s) were put on" in caught.value.message and "20 record(s) were not sent" in caught.value.message
