"""Vendor reads split across threads, end to end through boto3: the same ServiceNow and Datadog flows on a
server with SLUICE_PARALLELISM=1 (one stream) and one with SLUICE_PARALLELISM=4 (offset ranges / time
slices) publish exactly the same rows, and the fakes saw the parallel parts' requests.

A scheduled incremental Datadog flow on the parallel server advances its watermark window by window with
every log landing once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.datadog.server import FakeDatadog
from tests.fakes.datadog.state import DEFAULT_START
from tests.fakes.salesforce.server import FakeSalesforce
from tests.fakes.servicenow.server import FakeServiceNow
from tests.integration.builders import unique
from tests.support import flows
from tests.support.salesforce import sluice_env, token_profile
from tests.support.server import SluiceServer

INCIDENTS = 2000
PAGE = 100
LOGS = 3100
SPEEDUP = 60.0
EPOCH = time.time()


@pytest.fixture(scope="module")
def servicenow() -> Iterator[FakeServiceNow]:
    counts = {"sys_user": 20, "sys_user_group": 4, "cmdb_ci": 2, "cmdb_ci_server": 2, "problem": 5,
              "incident": INCIDENTS, "change_request": 5}
    with FakeServiceNow(counts) as server:
        yield server


@pytest.fixture(scope="module")
def datadog() -> Iterator[FakeDatadog]:
    with FakeDatadog(logs=LOGS, events=20) as server:
        yield server


@pytest.fixture(scope="module")
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(seed_counts={"Account": 4500, "Contact": 0, "Opportunity": 0}) as server:
        yield server


def _server(tmp: Any, threads: int, salesforce: FakeSalesforce) -> Any:
    return flows.saas_server(tmp, SLUICE_PARALLELISM=str(threads), SLUICE_SERVICENOW_PAGE_SIZE=str(PAGE),
                             **sluice_env(salesforce.url), **flows.scheduler_env(SPEEDUP, EPOCH))


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, salesforce: FakeSalesforce) -> Iterator[SluiceServer]:
    with _server(tmp_path_factory.mktemp("one"), 1, salesforce) as server:
        yield server


@pytest.fixture(scope="module")
def parallel(tmp_path_factory: pytest.TempPathFactory, salesforce: FakeSalesforce) -> Iterator[SluiceServer]:
    with _server(tmp_path_factory.mktemp("four"), 4, salesforce) as server:
        yield server


def servicenow_profile(client: Any, fake: FakeServiceNow) -> str:
    name = unique("sn")
    client.create_connector_profile(
        connectorProfileName=name, connectorType="Servicenow", connectionMode="Public",
        connectorProfileConfig={"connectorProfileProperties": {"ServiceNow": {"instanceUrl": fake.url}},
                                "connectorProfileCredentials": {"ServiceNow": {"username": fake.USER,
                                                                               "password": fake.PASSWORD}}})
    return name


def datadog_profile(client: Any, fake: FakeDatadog) -> str:
    name = unique("dd")
    client.create_connector_profile(
        connectorProfileName=name, connectorType="Datadog", connectionMode="Public",
        connectorProfileConfig={"connectorProfileProperties": {"Datadog": {"instanceUrl": fake.url}},
                                "connectorProfileCredentials": {"Datadog": {"apiKey": fake.api_key,
                                                                            "applicationKey": fake.app_key}}})
    return name


def flow(connector: str, member: str, profile: str, entity: str, bucket: str, **extra: Any) -> dict[str, Any]:
    return {"flowName": unique("split"), "triggerConfig": {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": connector, "connectorProfileName": profile,
                                 "sourceConnectorProperties": {member: {"object": entity}}},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
            "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {member: "NO_OP"},
                       "taskProperties": {}}], **extra}


def publish(server: SluiceServer, request_of: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    client = server.client()
    return flows.run_to_s3(client, server, request_of(client, flows.new_bucket(server)))


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def rows_key(row: dict[str, Any]) -> str:
    return repr(sorted(row.items()))


def test_servicenow_offset_ranges_publish_the_serial_rows(serial: SluiceServer, parallel: SluiceServer,
                                                          servicenow: FakeServiceNow) -> None:
    def request(client: Any, bucket: str) -> dict[str, Any]:
        return flow("Servicenow", "ServiceNow", servicenow_profile(client, servicenow), "incident", bucket)

    servicenow.state.log.clear()
    one_record, one = publish(serial, request)
    serial_reads = servicenow.state.log.matching("/api/now/table/incident")
    servicenow.state.log.clear()
    servicenow.state.latency = 0.05  # every call takes a while, so parallel calls overlap
    servicenow.state.most_in_flight = 0
    try:
        four_record, four = publish(parallel, request)
    finally:
        servicenow.state.latency = 0.0
    parallel_reads = servicenow.state.log.matching("/api/now/table/incident")
    assert one_record["executionStatus"] == four_record["executionStatus"] == "Successful", (one_record, four_record)
    assert len(one) == len(four) == INCIDENTS and len({r["sys_id"] for r in four}) == INCIDENTS
    assert Counter(map(rows_key, one)) == Counter(map(rows_key, four))  # row-exact
    assert one_record["executionResult"]["numParallelProcesses"] == 1
    assert four_record["executionResult"]["numParallelProcesses"] == 4
    assert four_record["executionResult"]["recordsProcessed"] == INCIDENTS
    # The serial run follows the Link header from offset 0; the parallel one probes the count once, then
    # reads 7 page-aligned ranges of 300 (8 parts at most) from their own starting offsets.
    assert all(r["query"].get("sysparm_limit") == [str(PAGE)] for r in serial_reads[1:])
    probe = parallel_reads[0]["query"]
    assert probe["sysparm_limit"] == ["1"] and probe["sysparm_offset"] == ["0"]
    offsets = sorted(int(r["query"]["sysparm_offset"][0]) for r in parallel_reads[1:])
    # Every page once, none twice (the open last range follows the Link header, as the serial read does).
    assert offsets == list(range(0, INCIDENTS, PAGE))
    assert servicenow.state.most_in_flight >= 2


def test_datadog_time_slices_publish_the_serial_rows(serial: SluiceServer, parallel: SluiceServer,
                                                     datadog: FakeDatadog) -> None:
    start_ms = int(DEFAULT_START.timestamp() * 1000)

    def request(client: Any, bucket: str) -> dict[str, Any]:
        made = flow("Datadog", "Datadog", datadog_profile(client, datadog), "logs", bucket)
        made["tasks"].insert(0, {"taskType": "Filter", "sourceFields": ["timestamp"],
                                 "connectorOperator": {"Datadog": "BETWEEN"},
                                 "taskProperties": {"LOWER_BOUND": str(start_ms + 1000),
                                                    "UPPER_BOUND": str(start_ms + 3_000_000)}})
        return made

    one_record, one = publish(serial, request)
    datadog.requests.clear()
    four_record, four = publish(parallel, request)
    assert one_record["executionStatus"] == four_record["executionStatus"] == "Successful"
    assert len(one) == len(four) == 3000 and len({r["id"] for r in four}) == 3000  # logs at 1 s .. 3000 s
    assert Counter(map(rows_key, one)) == Counter(map(rows_key, four))
    searches = [s["body"] for s in datadog.requests.matching("/api/v2/logs/events/search")]
    slices = sorted((b["filter"]["from"], b["filter"]["to"]) for b in searches if "cursor" not in b["page"])
    assert len(slices) == 4  # Datadog's cap, whatever the threads
    assert slices[0][0] == "2026-11-01T00:00:01.000Z" and slices[-1][1] == "2026-11-01T00:50:00.001Z"
    # Back to back: each search's `to` (exclusive, one millisecond past its slice) is the next one's `from`
    # plus that millisecond; the records on an edge are kept by the slice that ends there.
    for (_, to), (following, _) in itertools.pairwise(slices):
        assert ms(to) - 1 == ms(following)


def test_a_scheduled_incremental_flow_lands_every_log_once_with_slices(parallel: SluiceServer,
                                                                       datadog: FakeDatadog) -> None:
    client = parallel.client()
    bucket = flows.new_bucket(parallel)
    now = EPOCH + (time.time() - EPOCH) * SPEEDUP
    first_from = now - 3600
    # Logs spread over the windows the first runs read (one every 20 virtual seconds, after firstExecutionFrom:
    # a window excludes its start).
    stamps = [int((first_from + 20 * (i + 1)) * 1000) + i for i in range(150)]
    for stamp in stamps:
        datadog.state.add_logs(1, timestamp_ms=stamp, overrides={"service": "sliced-incremental"})
    request = flow("Datadog", "Datadog", datadog_profile(client, datadog), "logs", bucket)
    request["tasks"].insert(0, {"taskType": "Filter", "sourceFields": ["service"],
                                "connectorOperator": {"Datadog": "EQUAL_TO"},
                                "taskProperties": {"VALUE": "sliced-incremental"}})
    request["triggerConfig"] = flows.incremental_schedule(now + SPEEDUP, first_from)
    request["sourceFlowConfig"]["incrementalPullConfig"] = {"datetimeTypeFieldName": "timestamp"}
    client.create_flow(**request)
    client.start_flow(flowName=request["flowName"])

    def landed() -> bool:
        return len(flows.published_rows(parallel, bucket)) >= len(stamps)

    flows.wait_for(landed, timeout=90)
    time.sleep(2)  # a few more (empty) windows
    client.stop_flow(flowName=request["flowName"])
    runs = flows.wait_until_idle(client, request["flowName"])
    rows = flows.published_rows(parallel, bucket)
    assert len(rows) == len({r["id"] for r in rows}) == len(stamps)  # once each, across windows and slices
    assert {r["executionStatus"] for r in runs} == {"Successful"}
    windows = sorted((r["dataPullStartTime"], r["dataPullEndTime"]) for r in runs if r.get("dataPullEndTime"))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # the watermark: back to back


def test_a_salesforce_incremental_window_is_queried_in_slices(serial: SluiceServer, parallel: SluiceServer,
                                                              salesforce: FakeSalesforce) -> None:
    fake = salesforce
    published = {}
    for server in (serial, parallel):
        client = server.client()
        profile, bucket = unique("sf"), flows.new_bucket(server)
        client.create_connector_profile(**token_profile(profile, fake))
        name = unique("sf-split")
        now = EPOCH + (time.time() - EPOCH) * SPEEDUP
        client.create_flow(
            flowName=name, triggerConfig=flows.incremental_schedule(now + SPEEDUP, 1703980800.0),  # 2023-12-31
            sourceFlowConfig={"connectorType": "Salesforce", "connectorProfileName": profile,
                              "sourceConnectorProperties": {"Salesforce": {"object": "Account",
                                                                           "dataTransferApi": "REST_SYNC"}},
                              "incrementalPullConfig": {"datetimeTypeFieldName": "LastModifiedDate"}},
            destinationFlowConfigList=flows.s3_parquet_destination(bucket),
            tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                    "taskProperties": {}}])
        fake.org.log.clear()
        client.start_flow(flowName=name)
        flows.wait_for(lambda c=client, n=name: any(
            r["executionStatus"] == "Successful" for r in flows.execution_records(c, n)), 90)
        client.stop_flow(flowName=name)
        flows.wait_until_idle(client, name)
        # The first window's queries: (2023-12-31, first slot], whose slices start before 2026; the later
        # windows (a virtual minute each, from the first slot on) start at or after it.
        queries = [q for q in (e["query"].get("q", [""])[0] for e in fake.org.log.matching("/query"))
                   if "COUNT()" not in q and (found := re.search(r"LastModifiedDate > (\d{4})", q))
                   and int(found.group(1)) < 2026]
        published[server.data_dir] = (flows.published_rows(server, bucket), queries)
    (one, one_queries), (four, four_queries) = published[serial.data_dir], published[parallel.data_dir]
    assert len(one) == len(four) == 4500 and len({r["Id"] for r in four}) == 4500
    assert Counter(map(rows_key, one)) == Counter(map(rows_key, four))
    assert len(set(one_queries)) == 1  # one query (its later pages are nextRecordsUrl calls)
    assert len(set(four_queries)) == 3  # 4,500 records: three slices, each its own window condition
    # Inner edges are whole seconds (`> edge`, `<= edge`); the window's own end may round outward (`<`).
    assert all("LastModifiedDate >" in q and "LastModifiedDate <" in q for q in four_queries)
    assert sum("LastModifiedDate <=" in q for q in four_queries) >= 2
