"""Reading entity sets (sapodata/source.py) from the fake SAP system, in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.sapodata.connector import CONNECTOR
from tests.fakes.sapodata.model import ODP_PATH, SALES_PATH
from tests.fakes.sapodata.server import FakeSap
from tests.fakes.sapodata.system import OAUTH_CLIENT, OAUTH_SECRET

FACTS = f"{ODP_PATH}/FactsOfSalesDocument"


def read(profile: ProfileView, props: dict[str, Any], ctx: RunContext) -> pa.Table:
    source = CONNECTOR.open_source(profile, props, ctx)
    batches = list(source.read())
    return pa.Table.from_batches(batches) if batches else pa.table({})


def context(tmp_path: Path, start: float | None = None, end: float | None = None) -> RunContext:
    return RunContext("flow", "exec", 1, time.time(), str(tmp_path), window_start=start, window_end=end)


def test_a_failed_runs_changes_are_read_again_from_the_last_successful_link(
        fake: FakeSap, make_profile: Callable[..., ProfileView], tmp_path: Path) -> None:
    profile = make_profile(ODP_PATH)
    props = {"objectPath": FACTS, "paginationConfig": {"maxPageSize": 15}}
    initial = read(profile, props, context(tmp_path, None, 100.0))
    assert initial.num_rows == 40 and set(initial.column("ODQ_CHANGEMODE").to_pylist()) == {""}
    fake.state.change(("0001000001", "000010"), Status="X")
    second = read(profile, props, context(tmp_path, 100.0, 200.0))  # suppose this run then failed
    assert second.column("Status").to_pylist() == ["X"]
    fake.state.change(("0001000002", "000010"), Status="Y")
    # The watermark stayed at 100: the next window starts there and repeats the failed run's delta.
    third = read(profile, props, context(tmp_path, 100.0, 300.0))
    assert third.column("Status").to_pylist() == ["X", "Y"]
    assert third.column("ODQ_CHANGEMODE").to_pylist() == ["U", "U"]
    fourth = read(profile, props, context(tmp_path, 300.0, 400.0))
    assert fourth.num_rows == 0
    stored = sorted(p.name for p in (tmp_path / "connectors" / "sapodata" / "delta").rglob("*.json"))
    assert stored == ["300.0.json", "400.0.json"]  # links older than the window start are gone


def test_a_lost_link_reads_the_initial_load_again_and_says_so(
        fake: FakeSap, make_profile: Callable[..., ProfileView], tmp_path: Path) -> None:
    profile = make_profile(ODP_PATH)
    events: list[tuple[str, str, str]] = []
    read(profile, {"objectPath": FACTS}, context(tmp_path, None, 100.0))
    ctx = RunContext("flow", "exec", 1, time.time(), str(tmp_path), window_start=150.0, window_end=200.0,
                     on_event=lambda *event: events.append(event))
    assert read(profile, {"objectPath": FACTS}, ctx).num_rows == 40
    assert any(kind == "warning" and "initial load again" in message for kind, message, _ in events)


def test_an_expired_oauth_token_is_refreshed_and_resealed(
        fake: FakeSap, make_profile: Callable[..., ProfileView], tmp_path: Path) -> None:
    token = fake.state.issue_token()
    saved: list[dict[str, Any]] = []
    credentials = {"oAuthCredentials": {"clientId": OAUTH_CLIENT, "clientSecret": OAUTH_SECRET,
                                        "accessToken": token.access, "refreshToken": token.refresh}}
    profile = make_profile(SALES_PATH, credentials, oAuthProperties={
        "tokenUrl": f"{fake.url}/sap/bc/sec/oauth2/token", "authCodeUrl": f"{fake.url}/sap/bc/sec/oauth2/authorize",
        "oAuthScopes": ["ZSLUICE_SALES_SRV_0001"]})
    from dataclasses import replace

    profile = replace(profile, save_credentials=saved.append)
    fake.state.expire_tokens()
    table = read(profile, {"objectPath": f"{SALES_PATH}/SalesOrderSet"}, context(tmp_path))
    assert table.num_rows == 700
    assert saved and saved[0]["oAuthCredentials"]["accessToken"] != token.access


def test_saps_error_messages_reach_the_run(fake: FakeSap, make_profile: Callable[..., ProfileView],
                                           tmp_path: Path) -> None:
    with pytest.raises(ConnectorError) as missing:
        read(make_profile(), {"objectPath": f"{SALES_PATH}/NoSuchSet"}, context(tmp_path))
    assert missing.value.code == "ResourceNotFound" and "SalesOrderSet" in missing.value.message
    wrong = make_profile(credentials={"basicAuthCredentials": {"username": "X", "password": "y"}})
    with pytest.raises(ConnectorError) as refused:
        read(wrong, {"objectPath": f"{SALES_PATH}/SalesOrderSet"}, context(tmp_path))
    assert refused.value.code == "InvalidCredentials" and "Logon failed" in refused.value.message
    fake.state.throttle_next(50, retry_after=0, path="SalesOrderSet")
    with pytest.raises(ConnectorError) as throttled:
        read(make_profile(), {"objectPath": f"{SALES_PATH}/SalesOrderSet"}, context(tmp_path))
    assert throttled.value.code == "ThrottlingError" and "Quota limit exceeded" in throttled.value.message


def test_a_wrong_client_number_is_a_logon_failure(make_profile: Callable[..., ProfileView]) -> None:
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(make_profile(clientNumber="800"))
    assert refused.value.code == "InvalidCredentials"
