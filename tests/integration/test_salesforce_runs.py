"""Salesforce -> S3 runs through boto3 against the fake org: REST and Bulk API 2.0, push-down,
token refresh, rate limits and failures.

The expected records come from the fake's own SQLite data (`org.query`), never from Sluice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.flows import run_to_s3, s3_parquet_destination, saas_server
from tests.support.salesforce import sluice_env, token_profile
from tests.support.server import SluiceServer

SEED = {"Account": 4500, "Contact": 2500, "Opportunity": 500}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts=SEED)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(fake: FakeSalesforce, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with saas_server(tmp_path_factory.mktemp("sf-runs"), **sluice_env(fake.url)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeSalesforce) -> str:
    name = unique("sf")
    appflow.create_connector_profile(**token_profile(name, fake))
    return name


def map_all() -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
             "taskProperties": {}}]


def salesforce_flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], **source: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Salesforce": {"object": "Account", **source}}},
        "destinationFlowConfigList": s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": tasks,
    }


def run(appflow: Any, flow: dict[str, Any], sluice: SluiceServer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create the flow, run it, and read back every record it wrote (sorted by Id)."""
    record, rows = run_to_s3(appflow, sluice, flow)
    return record, sorted(rows, key=lambda r: r.get("Id") or "")


def test_rest_and_bulk_move_the_same_records(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce,
                                             profile: str) -> None:
    before = dict(fake.org.counters)
    rest, rest_rows = run(appflow, salesforce_flow(unique("sf-rest"), profile, unique("b"), map_all(),
                                                   dataTransferApi="REST_SYNC"), sluice)
    assert rest["executionStatus"] == "Successful", rest
    bulk, bulk_rows = run(appflow, salesforce_flow(unique("sf-bulk"), profile, unique("b"), map_all(),
                                                   dataTransferApi="BULKV2"), sluice)
    assert bulk["executionStatus"] == "Successful", bulk
    expected = sorted(r[0] for r in fake.org.query("SELECT Id FROM Account").rows)
    assert [r["Id"] for r in rest_rows] == expected
    assert rest["executionResult"]["recordsProcessed"] == len(expected)
    # Bulk API 2.0 cannot carry compound fields (the column stays, empty); all else is equal.
    assert all(r.get("BillingAddress") is None for r in bulk_rows)
    assert any(r.get("BillingAddress") for r in rest_rows)
    rest_plain = [{k: v for k, v in r.items() if k != "BillingAddress"} for r in rest_rows]
    bulk_plain = [{k: v for k, v in r.items() if k != "BillingAddress"} for r in bulk_rows]
    differences = [(a, b) for a, b in zip(rest_plain, bulk_plain, strict=True) if a != b]
    assert not differences, [{k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)} for a, b in differences[:3]]
    assert fake.org.counters.get("queryMore", 0) - before.get("queryMore", 0) >= 2  # 2,000-record pages
    assert fake.org.counters.get("bulk_query_create", 0) - before.get("bulk_query_create", 0) == 1


def test_automatic_uses_rest_below_a_million(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce,
                                            profile: str) -> None:
    before = dict(fake.org.counters)
    record, rows = run(appflow, salesforce_flow(unique("sf-auto"), profile, unique("b"), map_all()), sluice)
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == SEED["Account"]
    assert fake.org.counters.get("bulk_query_create", 0) == before.get("bulk_query_create", 0)


def test_projection_and_filters_are_pushed_down(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce,
                                                profile: str) -> None:
    fields = ["Id", "Name", "AnnualRevenue", "Type"]
    tasks = [
        {"taskType": "Filter", "sourceFields": fields, "connectorOperator": {"Salesforce": "PROJECTION"},
         "taskProperties": {}},
        {"taskType": "Filter", "sourceFields": ["AnnualRevenue"], "connectorOperator": {"Salesforce": "GREATER_THAN"},
         "taskProperties": {"DATA_TYPE": "currency", "VALUE": "5000000"}},
        {"taskType": "Filter", "sourceFields": ["Type"], "connectorOperator": {"Salesforce": "EQUAL_TO"},
         "taskProperties": {"DATA_TYPE": "picklist", "VALUE": "Customer - Direct"}},
        *[{"taskType": "Map", "sourceFields": [f], "destinationField": f, "connectorOperator": {"Salesforce": "NO_OP"},
           "taskProperties": {}} for f in fields],
    ]
    record, rows = run(appflow, salesforce_flow(unique("sf-push"), profile, unique("b"), tasks,
                                                dataTransferApi="REST_SYNC"), sluice)
    assert record["executionStatus"] == "Successful", record
    expected = fake.org.query(
        "SELECT Id FROM Account WHERE AnnualRevenue > 5000000 AND Type = 'Customer - Direct'").rows
    assert [r["Id"] for r in rows] == sorted(r[0] for r in expected)
    assert 0 < len(rows) < SEED["Account"]
    assert set(rows[0]) == set(fields)
    # Only the matching records crossed the wire: the filter ran in Salesforce, not after a full pull.
    assert record["executionResult"]["recordsProcessed"] == len(rows)


def test_include_deleted_records_uses_query_all(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce,
                                                profile: str) -> None:
    victim = fake.org.query("SELECT Id FROM Contact LIMIT 1").rows[0][0]
    assert fake.org.write("Contact", "delete", [{"Id": victim}])[0]["success"]
    flow = salesforce_flow(unique("sf-del"), profile, unique("b"), map_all(), includeDeletedRecords=True)
    flow["sourceFlowConfig"]["sourceConnectorProperties"]["Salesforce"]["object"] = "Contact"
    record, rows = run(appflow, flow, sluice)
    assert record["executionStatus"] == "Successful", record
    assert victim in {r["Id"] for r in rows}
    assert len(rows) == SEED["Contact"]


def test_expired_token_is_refreshed_once_and_stored(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce) -> None:
    name = unique("sf-exp")
    request = token_profile(name, fake)
    old_token = request["connectorProfileConfig"]["connectorProfileCredentials"]["Salesforce"]["accessToken"]
    appflow.create_connector_profile(**request)
    fake.org.auth.expire_all_tokens()
    before = fake.org.counters.get("token", 0)
    first, rows = run(appflow, salesforce_flow(unique("sf-exp"), name, unique("b"), map_all(),
                                               dataTransferApi="REST_SYNC"), sluice)
    assert first["executionStatus"] == "Successful", first
    assert len(rows) == SEED["Account"]
    assert fake.org.counters.get("token", 0) == before + 1
    # The refreshed token was stored: the next run needs no new refresh.
    second, _ = run(appflow, salesforce_flow(unique("sf-exp"), name, unique("b"), map_all(),
                                             dataTransferApi="REST_SYNC"), sluice)
    assert second["executionStatus"] == "Successful", second
    assert fake.org.counters.get("token", 0) == before + 1
    assert old_token not in sluice.log()


def test_rate_limits_back_off_then_fail_with_an_actionable_message(appflow: Any, sluice: SluiceServer,
                                                                   fake: FakeSalesforce, profile: str) -> None:
    fake.org.faults.add("GET", r"/query", 403, "REQUEST_LIMIT_EXCEEDED", count=2)
    record, rows = run(appflow, salesforce_flow(unique("sf-limit"), profile, unique("b"), map_all(),
                                                dataTransferApi="REST_SYNC"), sluice)
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == SEED["Account"]
    fake.org.faults.add("GET", r"/query", 429, count=50, retry_after=0.05)
    bucket = unique("b")
    record, rows = run(appflow, salesforce_flow(unique("sf-limit"), profile, bucket, map_all(),
                                                dataTransferApi="REST_SYNC"), sluice)
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "429" in message or "limit" in message.lower(), message
    assert rows == []
    fake.org.faults.clear() if hasattr(fake.org.faults, "clear") else None


def test_unknown_object_is_refused_at_create_flow(appflow: Any, profile: str) -> None:
    # The org answers NOT_FOUND to its describe: the flow could never run, so CreateFlow says so.
    flow = salesforce_flow(unique("sf-nope"), profile, unique("b"), map_all())
    flow["sourceFlowConfig"]["sourceConnectorProperties"]["Salesforce"]["object"] = "Nope__c"
    with pytest.raises(appflow.exceptions.ValidationException) as caught:
        appflow.create_flow(**flow)
    message = caught.value.response["Error"]["Message"]
    assert "Nope__c" in message and "Traceback" not in message
    assert flow["flowName"] not in [f["flowName"] for f in appflow.list_flows()["flows"]]
