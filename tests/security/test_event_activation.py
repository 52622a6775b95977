"""Event flows keep every change committed after StartFlow returned, through the real server.

Salesforce stamps change events in whole seconds. A flow's first batch used to keep only events
stamped at or after the activation instant in milliseconds, so the changes committed in the rest
of the StartFlow second were dropped while the replay cursor moved past them. Here a burst of
changes starts the moment StartFlow returns and runs into the next second, on a first activation
and after StopFlow -> StartFlow twice; every one of them must arrive exactly once, and a change
made while the flow was stopped (in an earlier second) must not.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.salesforce import account_event_flow, sluice_env, token_profile
from tests.support.server import SluiceServer

ROUNDS = 3  # the first activation, then StopFlow -> StartFlow twice


@pytest.fixture(scope="module")
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 40, "Contact": 0, "Opportunity": 0})
    fake.start()
    fake.org.cometd_timeout = 1.0  # Salesforce holds a connect 110 s; tests need quicker turns
    try:
        yield fake
    finally:
        fake.stop()


def test_no_change_after_start_flow_returned_is_lost(
    org: FakeSalesforce, start_server: Callable[..., SluiceServer]
) -> None:
    server = start_server(workers=1, **sluice_env(org.url, SLUICE_S3_BACKEND="local",
                                                  SLUICE_ALLOW_PRIVATE_ENDPOINTS="true"))
    client = server.client()
    profile, name, bucket = unique("sf"), unique("sf-activation"), unique("b")
    (server.data_dir / "s3" / bucket).mkdir(parents=True)
    client.create_connector_profile(**token_profile(profile, org))
    client.create_flow(**account_event_flow(name, profile, bucket))
    ids = [r[0] for r in org.org.query("SELECT Id FROM Account ORDER BY Id").rows]
    expected: list[str] = []
    stopped_changes: list[str] = []
    for round_no in range(ROUNDS):
        if round_no:
            assert client.stop_flow(flowName=name)["flowStatus"] == "Suspended"
            assert _wait_for(lambda: _health(server)["events"]["subscriptions"] == 0, 30)
            stopped_changes.append(f"stopped-{round_no}")
            org.org.write("Account", "update", [{"Id": ids[0], "Name": stopped_changes[-1]}])
        _start_of_a_later_second()  # StartFlow early in a second: most of it is left after the call
        assert client.start_flow(flowName=name)["flowStatus"] == "Active"
        expected.extend(_burst(org, ids, f"r{round_no}"))
        # Lost changes never arrive: the wait ends at its bound and the count below says which.
        wanted = set(expected)
        _wait_for(lambda wanted=wanted: wanted <= set(_names(server.data_dir, bucket)), 60)

    counts = Counter(_names(server.data_dir, bucket))
    assert counts == Counter(expected), {
        "lost": sorted(set(expected) - set(counts)),
        "repeated": sorted(n for n, c in counts.items() if c > 1),
        "unexpected": sorted(set(counts) - set(expected)),
    }
    assert not set(stopped_changes) & set(counts)
    records = _execution_records(client, name)
    assert {r["executionStatus"] for r in records} == {"Successful"}, records
    assert sum(r["executionResult"]["recordsProcessed"] for r in records) == len(expected)

    # An Active Event flow is not deleted without forceDelete (the API reference's example).
    with pytest.raises(client.exceptions.ConflictException) as refused:
        client.delete_flow(flowName=name)
    assert refused.value.response["Error"]["Message"] == (
        "Flow is in active state, please set forceDelete to true or deactivate the flow")
    client.delete_flow(flowName=name, forceDelete=True)


def _execution_records(client: Any, name: str) -> list[dict[str, Any]]:
    """Every execution record of the flow, page after page."""
    records: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = client.describe_flow_execution_records(flowName=name, maxResults=100, **token)
        records += page["flowExecutions"]
        if not page.get("nextToken"):
            return records
        token = {"nextToken": page["nextToken"]}


def _burst(org: FakeSalesforce, ids: list[str], tag: str) -> list[str]:
    """Changes from now until the next second is under way, one record each; their names."""
    first_second = int(time.time())
    names: list[str] = []
    while int(time.time()) <= first_second or len(names) < 5:
        name = f"{tag}-{len(names)}"
        org.org.write("Account", "update", [{"Id": ids[1 + len(names) % (len(ids) - 1)], "Name": name}])
        names.append(name)
        time.sleep(0.01)
    return names


def _start_of_a_later_second() -> None:
    """Wait for a second that began after any change made so far, and be in its first tenth."""
    now = time.time()
    target = int(now) + 1
    time.sleep(target - now)
    while time.time() - int(time.time()) > 0.1:  # overslept into the later part: take the next one
        time.sleep(int(time.time()) + 1 - time.time())


def _health(server: SluiceServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/health", timeout=5).json()


def _names(data_dir: Path, bucket: str) -> list[str]:
    """Names in the published objects (a run still writing has its files under .sluice-staging/,
    which may vanish while it is walked: os.walk skips what disappears)."""
    files: list[Path] = []
    for folder, subfolders, names in os.walk(data_dir / "s3" / bucket):
        subfolders[:] = [d for d in subfolders if d != ".sluice-staging"]
        files += [Path(folder) / n for n in names if n.endswith(".parquet")]
    return [r["Name"] for f in sorted(files)
            for r in pq.read_table(io.BytesIO(f.read_bytes()), columns=["Name"]).to_pylist()]


def _wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
