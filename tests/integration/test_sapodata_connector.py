"""The SAP OData connector end to end: a real `sluice serve` driven by boto3, the fake SAP system over https.

Profiles (a wrong password fails with SAP's logon message), entities and fields from `$metadata`,
a sales-order pull of several `$top` pages that SAP cuts into server-driven pieces, through a
429, landing every record once; maxParallelism 4 writing exactly the rows of maxParallelism 1;
Filter tasks pushed down as `$filter` / `$select`; an OData V4 service; and S3 -> SAP writes in
`$batch` change sets behind the CSRF handshake, with one refused record in the error bucket and
the accepted records' keys in the success bucket.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.sapodata.model import EPOCH_MS, ODP_PATH, PRODUCTS_PATH, SALES_PATH, order_id, sales_order
from tests.fakes.sapodata.server import FakeSap
from tests.fakes.sapodata.system import CLIENT, PASSWORD, USER
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

ORDERS = 2600
ORDER_SET = f"{SALES_PATH}/SalesOrderSet"


def profile_request(name: str, port: int, path: str = SALES_PATH, password: str = PASSWORD) -> dict[str, Any]:
    """CreateConnectorProfile for SAPOData with basic auth."""
    return {"connectorProfileName": name, "connectorType": "SAPOData", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"SAPOData": {
                    "applicationHostUrl": "https://127.0.0.1", "applicationServicePath": path, "portNumber": port,
                    "clientNumber": CLIENT, "logonLanguage": "EN"}},
                "connectorProfileCredentials": {"SAPOData": {"basicAuthCredentials": {
                    "username": USER, "password": password}}}}}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSap]:
    with FakeSap(orders=ORDERS, partners=25, facts=120, products=60) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("sapodata"), secrets=(PASSWORD,)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeSap) -> str:
    name = unique("sap")
    appflow.create_connector_profile(**profile_request(name, fake.port))
    return name


def map_all() -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"SAPOData": "NO_OP"},
             "taskProperties": {}}]


def pull(appflow: Any, sluice: SluiceServer, profile: str, source: dict[str, Any],
         tasks: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create and run an SAP -> S3 Parquet flow; (its execution record, the rows landed, in file order)."""
    name, bucket = unique("sap-pull"), flows.new_bucket(sluice)
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "SAPOData", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"SAPOData": source}},
        destinationFlowConfigList=flows.s3_parquet_destination(bucket), tasks=tasks)
    record = flows.start_and_wait(appflow, name, timeout=120)
    return record, flows.published_rows(sluice, bucket)


def test_a_wrong_password_is_refused_with_saps_logon_message(appflow: Any, fake: FakeSap) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
        appflow.create_connector_profile(**profile_request(unique("sap-bad"), fake.port, password="wrong"))
    assert "Logon failed" in str(refused.value)


def test_entities_and_fields_come_from_the_services_metadata(appflow: Any, fake: FakeSap, profile: str) -> None:
    services = appflow.list_connector_entities(connectorProfileName=profile, connectorType="SAPOData")
    found = {e["name"]: e for group in services["connectorEntityMap"].values() for e in group}
    assert set(found) == {SALES_PATH, ODP_PATH}  # the V2 catalog service's services
    assert found[SALES_PATH]["hasNestedEntities"] is True and found[SALES_PATH]["label"] == "ZSLUICE_SALES_SRV"
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="SAPOData",
                                               entitiesPath=SALES_PATH)
    names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
    assert names == {ORDER_SET, f"{SALES_PATH}/SalesOrderItemSet", f"{SALES_PATH}/BusinessPartnerSet"}
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorType="SAPOData", connectorEntityName=ORDER_SET)["connectorEntityFields"]}
    assert fields["SalesOrderID"]["isPrimaryKey"] is True and fields["Note"]["isPrimaryKey"] is False
    assert fields["NetAmount"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "Edm.Decimal"
    assert fields["NetAmount"]["label"] == "Net Amount"
    assert fields["CreatedAt"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["InternalMemo"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == []  # sap:filterable=false
    assert "CONTAINS" in fields["CustomerName"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    assert set(fields["CustomerName"]["destinationProperties"]["supportedWriteOperations"]) == {
        "INSERT", "UPDATE", "UPSERT"}
    assert "ToItems" not in fields  # navigation properties are not followed
    assert set(fields) >= {"ShipTo", "ChangedAt", "IsDelivered"}
    odp = unique("sap-odp")
    appflow.create_connector_profile(**profile_request(odp, fake.port, ODP_PATH))
    facts = appflow.describe_connector_entity(connectorProfileName=odp, connectorType="SAPOData",
                                              connectorEntityName=f"{ODP_PATH}/FactsOfSalesDocument")
    assert all("destinationProperties" not in f for f in facts["connectorEntityFields"])  # ODP: no writes
    with pytest.raises(appflow.exceptions.ResourceNotFoundException):
        appflow.describe_connector_entity(connectorProfileName=profile, connectorType="SAPOData",
                                          connectorEntityName=f"{SALES_PATH}/NoSuchSet")


def test_every_order_lands_once_through_server_driven_pages_and_a_429(
        appflow: Any, sluice: SluiceServer, fake: FakeSap, profile: str) -> None:
    fake.state.page_cap = 400  # SAP answers at most 400 entries and links the rest of each page
    fake.state.log.clear()
    fake.state.throttle_next(1, retry_after=1, path="SalesOrderSet", skip=3)
    try:
        record, rows = pull(appflow, sluice, profile, {"objectPath": ORDER_SET,
                                                       "paginationConfig": {"maxPageSize": 1000}}, map_all())
    finally:
        fake.state.page_cap = 5000
    assert record["executionStatus"] == "Successful", record
    assert [r["SalesOrderID"] for r in rows] == [order_id(i) for i in range(1, ORDERS + 1)]
    asked = [e for e in fake.state.log.matching("/SalesOrderSet") if e["method"] == "GET"]
    # Three $top pages of 1000 (2600 records), each cut by SAP into pieces of 400; one piece asked twice (429).
    asks = Counter((e["query"]["$skip"][0], (e["query"].get("$skiptoken") or [None])[0]) for e in asked)
    assert set(asks) == {("0", None), ("0", "400"), ("0", "800"), ("1000", None), ("1000", "1400"),
                         ("1000", "1800"), ("2000", None), ("2000", "2400")}
    assert sorted(asks.values()) == [1] * 7 + [2]
    tops = [e for e in asked if "$skiptoken" not in e["query"]]
    assert all(e["query"]["sap-client"] == [CLIENT] and e["query"]["sap-language"] == ["EN"] for e in asked)
    assert tops[0]["query"]["$inlinecount"] == ["allpages"] and tops[0]["query"]["$orderby"] == ["SalesOrderID"]
    first = next(r for r in rows if r["SalesOrderID"] == order_id(1))
    assert first == {**{k: str(v) for k, v in _flat(sales_order(1)).items() if v is not None},
                     "Note": first["Note"], "ShipTo": first["ShipTo"], "CreatedAt": first["CreatedAt"],
                     "ChangedAt": first["ChangedAt"]}
    assert first["CreatedAt"].startswith("2024-01-01T00:01:00")
    assert json.loads(first["ShipTo"])["City"] == sales_order(1)["ShipTo"]["City"]


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """The seeded record's scalar values as the S3 output writes them (booleans lower case)."""
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in record.items()
            if k not in ("ShipTo", "CreatedAt", "ChangedAt")}


def test_max_parallelism_4_writes_exactly_the_rows_of_1(appflow: Any, sluice: SluiceServer, fake: FakeSap,
                                                        profile: str) -> None:
    results = {}
    for parallelism in (1, 4):
        fake.state.log.clear()
        record, rows = pull(appflow, sluice, profile, {
            "objectPath": ORDER_SET, "parallelismConfig": {"maxParallelism": parallelism},
            "paginationConfig": {"maxPageSize": 250}}, map_all())
        assert record["executionStatus"] == "Successful", record
        results[parallelism] = rows
        skips = sorted(int(e["query"]["$skip"][0]) for e in fake.state.log.matching("/SalesOrderSet")
                       if "$skip" in e["query"])
        assert skips == list(range(0, ORDERS, 250))  # each page asked once
    assert len(results[1]) == ORDERS and results[4] == results[1]


def test_filter_tasks_are_pushed_down_as_filter_and_select(appflow: Any, sluice: SluiceServer, fake: FakeSap,
                                                           profile: str) -> None:
    fields = ["SalesOrderID", "CustomerName", "Quantity", "CreatedAt"]
    low, high = "2024-01-01T05:00:00Z", "2024-01-02T12:00:00Z"
    tasks = [
        {"taskType": "Filter", "sourceFields": fields, "connectorOperator": {"SAPOData": "PROJECTION"},
         "taskProperties": {}},
        {"taskType": "Filter", "sourceFields": ["Quantity"], "connectorOperator": {"SAPOData": "GREATER_THAN"},
         "taskProperties": {"DATA_TYPE": "integer", "VALUE": "250"}},
        {"taskType": "Filter", "sourceFields": ["CustomerName"], "connectorOperator": {"SAPOData": "CONTAINS"},
         "taskProperties": {"DATA_TYPE": "string", "VALUE": "Müller"}},
        {"taskType": "Filter", "sourceFields": ["CreatedAt"], "connectorOperator": {"SAPOData": "BETWEEN"},
         "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": low, "UPPER_BOUND": high}},
        *[{"taskType": "Map", "sourceFields": [f], "destinationField": f, "connectorOperator": {"SAPOData": "NO_OP"},
           "taskProperties": {}} for f in fields],
    ]
    fake.state.log.clear()
    record, rows = pull(appflow, sluice, profile, {"objectPath": ORDER_SET}, tasks)
    assert record["executionStatus"] == "Successful", record
    start_ms, end_ms = EPOCH_MS + 5 * 3600_000, EPOCH_MS + 36 * 3600_000
    expected = [order_id(i) for i in range(1, ORDERS + 1)
                if sales_order(i)["Quantity"] > 250 and "Müller" in sales_order(i)["CustomerName"]
                and start_ms <= sales_order(i)["CreatedAt"] <= end_ms]
    assert expected and sorted(r["SalesOrderID"] for r in rows) == expected
    assert set(rows[0]) == set(fields)
    asked = fake.state.log.matching("/SalesOrderSet")
    assert len(asked) == 1
    query = asked[0]["query"]
    assert query["$filter"] == ["Quantity gt 250 and substringof('Müller',CustomerName) and (CreatedAt ge "
                                "datetime'2024-01-01T05:00:00' and CreatedAt le datetime'2024-01-02T12:00:00')"]
    assert query["$select"] == [",".join(fields)]


def test_an_odata_v4_service_is_read_with_next_links(appflow: Any, sluice: SluiceServer, fake: FakeSap) -> None:
    profile = unique("sap-v4")
    appflow.create_connector_profile(**profile_request(profile, fake.port, PRODUCTS_PATH))
    fake.state.page_cap = 25
    fake.state.log.clear()
    try:
        record, rows = pull(appflow, sluice, profile, {"objectPath": f"{PRODUCTS_PATH}/Products"}, map_all())
    finally:
        fake.state.page_cap = 5000
    assert record["executionStatus"] == "Successful", record
    assert [r["ProductID"] for r in rows] == [f"P-{i:06d}" for i in range(1, 61)]
    assert rows[0]["ModifiedAt"].startswith("2024-01-01T01:00:00") and rows[0]["ValidFrom"] == "2024-10-25"
    asked = fake.state.log.matching("/Products")
    assert asked[0]["query"]["$count"] == ["true"] and len(asked) == 3


def write_flow(sluice: SluiceServer, appflow: Any, profile: str, rows: list[dict[str, Any]], operation: str,
               id_fields: list[str] | None = None) -> tuple[str, str, str]:
    """Put `rows` as CSV in a bucket and create an S3 -> SalesOrderSet flow; (flow, error bucket, success bucket)."""
    source, errors, success = flows.csv_bucket(sluice, rows), flows.new_bucket(sluice, "err"), flows.new_bucket(
        sluice, "ok")
    name = unique(f"sap-{operation.lower()}")
    destination: dict[str, Any] = {
        "objectPath": ORDER_SET, "writeOperationType": operation,
        "errorHandlingConfig": {"failOnFirstDestinationError": False, "bucketName": errors, "bucketPrefix": "sap"},
        "successResponseHandlingConfig": {"bucketName": success, "bucketPrefix": "responses"}}
    if id_fields:
        destination["idFieldNames"] = id_fields
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(source),
        destinationFlowConfigList=[{"connectorType": "SAPOData", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"SAPOData": destination}}],
        tasks=flows.copy_columns(rows[0]))
    return name, errors, success


def success_lines(sluice: SluiceServer, bucket: str) -> list[dict[str, Any]]:
    root = sluice.data_dir / "s3" / bucket
    return [json.loads(line) for f in sorted(root.rglob("success.jsonl")) for line in f.read_text().splitlines()]


def test_s3_to_sap_insert_with_one_refused_record(appflow: Any, sluice: SluiceServer, fake: FakeSap,
                                                  profile: str) -> None:
    tag = unique("t")
    fake.state.reject("SalesOrderSet", "CustomerName", f"BLOCKED {tag}", "Customer is blocked for sales (VS 012)")
    rows = [{"CustomerName": f"{tag} Kunde {i}", "NetAmount": f"{i}.50", "Currency": "EUR", "Quantity": str(i + 1),
             "IsDelivered": "false", "ShipTo": json.dumps({"City": "Köln", "Country": "DE"})} for i in range(150)]
    rows.insert(60, {**rows[0], "CustomerName": f"BLOCKED {tag}"})
    orders = fake.state.services[SALES_PATH].sets["SalesOrderSet"]
    before = len(orders.added)
    fake.state.expire_csrf(after_batches=1)  # the session times out after the first $batch
    fake.state.log.clear()
    name, errors, success = write_flow(sluice, appflow, profile, rows, "INSERT")
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    created = [orders.changed[k] for k in orders.added[before:]]
    assert sorted(r["CustomerName"] for r in created) == sorted(f"{tag} Kunde {i}" for i in range(150))
    fifth = next(r for r in created if r["CustomerName"] == f"{tag} Kunde 5")
    assert fifth["NetAmount"] == "5.50" and fifth["Quantity"] == 6 and fifth["ShipTo"]["City"] == "Köln"
    failed = flows.error_records(sluice, errors)
    assert [r["CustomerName"] for r in failed] == [f"BLOCKED {tag}"]
    assert failed[0]["errorCode"] == "ZSLUICE/001" and "blocked for sales" in failed[0]["errorMessage"]
    accepted = success_lines(sluice, success)
    assert sorted(a["key"]["SalesOrderID"] for a in accepted) == sorted(k[0] for k in orders.added[before:])
    assert all(a["status"] == 201 and a["uri"].endswith(f"('{a['key']['SalesOrderID']}')") for a in accepted)
    batches = [e for e in fake.state.log.entries if e["path"].endswith("/$batch")]
    assert len(batches) == 3  # 151 records in change sets of 100; the second sent again with a new token
    fetches = [e for e in fake.state.log.entries if e["method"] == "GET" and e["path"].rstrip("/").endswith("_SRV")]
    assert len(fetches) == 2  # X-CSRF-Token: Fetch before the first $batch, and after the 403


def test_s3_to_sap_upsert_updates_by_key_and_creates_the_rest(appflow: Any, sluice: SluiceServer, fake: FakeSap,
                                                              profile: str) -> None:
    orders = fake.state.services[SALES_PATH].sets["SalesOrderSet"]
    tag = unique("u")
    rows = [{"SalesOrderID": order_id(7), "CustomerName": f"{tag} updated", "Quantity": "9"},
            {"SalesOrderID": "0599999001", "CustomerName": f"{tag} created", "Quantity": "3"}]
    name, _, success = write_flow(sluice, appflow, profile, rows, "UPSERT", ["SalesOrderID"])
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 0
    assert orders.find((order_id(7),))["CustomerName"] == f"{tag} updated"  # type: ignore[index]
    assert orders.find((order_id(7),))["Currency"] == sales_order(7)["Currency"]  # type: ignore[index]  # MERGE
    assert orders.find(("0599999001",))["CustomerName"] == f"{tag} created"  # type: ignore[index]
    assert sorted((a["status"], a["key"]["SalesOrderID"]) for a in success_lines(sluice, success)) == [
        (201, "0599999001"), (204, order_id(7))]
