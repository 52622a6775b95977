"""Infor Nexus -> S3 through boto3 against the fake Infor Nexus API (https, test CA), every request
HMAC-verified by the fake: profile check, entity metadata, CreateFlow field checks, an offset-paged run
through a 429, OQL push-down, and a scheduled incremental flow on `modifyTimestamp`.

The expected records come from the fake's own store (`state.scan`), never from Sluice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.infor_nexus.server import FakeInforNexus
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()
ORDERS = 1100  # 2.2 pages of 500


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP from EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeInforNexus]:
    with FakeInforNexus(records=ORDERS) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeInforNexus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("infornexus"), secrets=[fake.keys.secret],
                           SLUICE_PARALLELISM="1", **flows.scheduler_env(SPEEDUP, EPOCH)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeInforNexus, **changes: str) -> dict[str, Any]:
    keys = fake.keys
    credentials = {"accessKeyId": keys.access_key_id, "userId": keys.user_id, "secretAccessKey": keys.secret,
                   "datakey": keys.data_key, **changes}
    return {"connectorProfileName": name, "connectorType": "Infornexus", "connectionMode": "Public",
            "connectorProfileConfig": {"connectorProfileProperties": {"InforNexus": {"instanceUrl": fake.url}},
                                       "connectorProfileCredentials": {"InforNexus": credentials}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeInforNexus) -> str:
    name = unique("inx")
    appflow.create_connector_profile(**profile_request(name, fake))
    return name


def task(kind: str, fields: list[str], operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": kind, "sourceFields": fields, "connectorOperator": {"InforNexus": operator},
            "taskProperties": props}


MAP_ALL = task("Map_all", [], "NO_OP")


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = "OrderDetail",
         **extra: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Infornexus", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"InforNexus": {"object": entity}}},
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": tasks,
        **extra,
    }


def test_a_profile_with_a_bad_secret_is_refused(appflow: Any, fake: FakeInforNexus) -> None:
    for bad in ({"secretAccessKey": "not-the-secret"}, {"datakey": "not-the-datakey"}):
        with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
            appflow.create_connector_profile(**profile_request(unique("inx-bad"), fake, **bad))
        assert "Authentication failed" in refused.value.response["Error"]["Message"]


def test_entities_and_fields_are_listed(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Infornexus")
    names = [e["name"] for group in entities["connectorEntityMap"].values() for e in group]
    assert names == ["OrderDetail", "ShipmentDetail", "Invoice"]
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorEntityName="OrderDetail", connectorProfileName=profile,
        connectorType="Infornexus")["connectorEntityFields"]}
    assert fields["uid"]["isPrimaryKey"] is True
    assert fields["modifyTimestamp"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["totalAmount"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO", "BETWEEN"]


def test_a_flow_naming_an_unknown_field_is_refused(appflow: Any, profile: str) -> None:
    with pytest.raises(appflow.exceptions.ValidationException):
        appflow.create_flow(**flow(unique("inx-bad-field"), profile, unique("b"),
                                   [task("Filter", ["uid", "no_such_field"], "PROJECTION")]))


def test_orders_land_once_each_through_pages_and_a_429(appflow: Any, sluice: SluiceServer, fake: FakeInforNexus,
                                                       profile: str) -> None:
    fake.requests.clear()
    fake.state.throttle_next(1, after=1)  # the second page is refused once
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("inx-orders"), profile, unique("b"), [MAP_ALL]))
    assert record["executionStatus"] == "Successful", record
    expected = sorted(r["__metadata"]["uid"] for r in fake.state.scan("OrderDetail"))
    assert sorted(r["uid"] for r in rows) == expected and len(expected) == ORDERS
    queries = fake.requests.matching("/rest/3.1/OrderDetail/query")
    assert [q["query"]["offset"] for q in queries] == [["0"], ["500"], ["500"], ["1000"]]
    assert all(q["query"]["dataKey"] == [fake.keys.data_key] for q in queries)


def test_filters_are_pushed_down_as_oql(appflow: Any, sluice: SluiceServer, fake: FakeInforNexus,
                                        profile: str) -> None:
    fake.requests.clear()
    columns = ["uid", "poNumber", "currencyCode", "totalAmount"]
    tasks = [
        task("Filter", columns, "PROJECTION"),
        task("Filter", ["currencyCode"], "EQUAL_TO", DATA_TYPE="string", VALUE="EUR"),
        task("Filter", ["totalAmount"], "BETWEEN", DATA_TYPE="double", LOWER_BOUND="1000", UPPER_BOUND="50000"),
        *[{**task("Map", [name], "NO_OP"), "destinationField": name} for name in columns],
    ]
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("inx-filter"), profile, unique("b"), tasks,
                                                         entity="Invoice"))
    assert record["executionStatus"] == "Successful", record
    oql = fake.requests.matching("/rest/3.1/Invoice/query")[0]["query"]["oql"]
    assert oql == ["currencyCode = 'EUR' AND totalAmount >= 1000 AND totalAmount <= 50000"]
    expected = sorted(r["__metadata"]["uid"] for r in fake.state.scan("Invoice")
                      if r["currencyCode"] == "EUR" and 1000 <= r["totalAmount"] <= 50000)
    assert expected and sorted(r["uid"] for r in rows) == expected


def test_an_incremental_scheduled_flow_pulls_each_change_once(appflow: Any, sluice: SluiceServer,
                                                              fake: FakeInforNexus, profile: str) -> None:
    name, bucket = unique("inx-inc"), flows.new_bucket(sluice)

    def at(seconds: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(round(seconds, 3), tz=dt.UTC)

    for index in (3, 4, 5):
        fake.state.modify("ShipmentDetail", index, at(virtual_now() - 600), transportMode=f"first-{index}")
    request = flow(name, profile, bucket, [MAP_ALL], entity="ShipmentDetail",
                   triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600))
    request["sourceFlowConfig"]["incrementalPullConfig"] = {"datetimeTypeFieldName": "modifyTimestamp"}
    appflow.create_flow(**request)
    fake.requests.clear()
    appflow.start_flow(flowName=name)

    def modes() -> Counter[str]:
        return Counter(r["transportMode"] for r in flows.published_rows(sluice, bucket, ["transportMode"]))

    try:
        flows.wait_for(lambda: {"first-3", "first-4", "first-5"} <= set(modes()), 60)
        fake.state.modify("ShipmentDetail", 3, at(virtual_now()), transportMode="second-3")
        fake.state.modify("ShipmentDetail", 9, at(virtual_now()), transportMode="second-9")
        flows.wait_for(lambda: {"second-3", "second-9"} <= set(modes()), 60)
        time.sleep(2)  # a few more (empty) windows
    finally:
        appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    assert modes() == Counter({"first-3": 1, "first-4": 1, "first-5": 1, "second-3": 1, "second-9": 1})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    windows = [q["query"]["oql"][0] for q in fake.requests.matching("/rest/3.1/ShipmentDetail/query")
               if q["query"]["offset"] == ["0"]]
    assert len(windows) >= 3 and len(set(windows)) == len(windows)  # each run asked for its own window
    assert all(w.startswith("__metadata.modifyTimestamp >= '") for w in windows)
