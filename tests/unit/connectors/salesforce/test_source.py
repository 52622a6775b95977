"""SalesforceSource against the fake org: REST and Bulk API 2.0 agree, AUTOMATIC's choice, deleted
records, pushed-down filters and windows keep the engine's records, errors read well."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.salesforce.client import SalesforceClient
from sluice.connectors.salesforce.source import SalesforceSource
from sluice.engine.tasks import compile_tasks
from tests.fakes.salesforce.server import FakeSalesforce

COUNTS = {"Account": 2300, "Contact": 50, "Opportunity": 400}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(seed_counts=COUNTS) as server:
        yield server


@pytest.fixture
def profile(fake: FakeSalesforce) -> ProfileView:
    return ProfileView("p", "Salesforce", properties={"instanceUrl": fake.url},
                       credentials={"accessToken": fake.token()})


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Salesforce": "PROJECTION"}}


def map_all() -> dict[str, Any]:
    return {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
            "taskProperties": {}}


def compare(field: str, operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Salesforce": operator},
            "taskProperties": props}


def read(profile: ProfileView, props: dict[str, Any], tasks: list[dict[str, Any]] | None = None,
         batch_size: int = 65_536, **ctx: Any) -> tuple[pa.Table, SalesforceSource]:
    context = RunContext("flow", "exec", 1, time.time(), "/tmp", batch_size=batch_size,
                         tasks=tuple(tasks or ()), **ctx)
    source = SalesforceSource(profile, props, context)
    batches = list(source.read())
    assert all(b.num_rows <= batch_size for b in batches)
    schema = batches[0].schema if batches else source.plan.schema  # type: ignore[union-attr]
    return pa.Table.from_batches(batches, schema=schema), source


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("Id")


FIELDS = ("Id", "Name", "AnnualRevenue", "NumberOfEmployees", "Industry", "IsActive__c", "Description",
          "LastModifiedDate", "BillingCity")


def test_rest_and_bulk_read_the_same_records(profile: ProfileView) -> None:
    tasks = [projection(*FIELDS)]
    rest, rest_source = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"}, tasks, batch_size=1000)
    bulk, bulk_source = read(profile, {"object": "Account", "dataTransferApi": "BULKV2"}, tasks, batch_size=1000)
    assert rest.num_rows == bulk.num_rows == COUNTS["Account"]
    assert rest.schema == bulk.schema
    assert rest.schema.names == list(FIELDS)
    assert by_id(rest).equals(by_id(bulk))
    assert rest_source.stats.pages_read == 2 and rest_source.stats.max_page_size == 2000
    assert rest_source.stats.records_read == bulk_source.stats.records_read == COUNTS["Account"]
    assert bulk_source.stats.pages_read >= 1 and bulk_source.stats.bytes_read > 0


def test_bulk_pages_follow_the_locator(profile: ProfileView, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BULK_PAGE_RECORDS", "500")
    table, source = read(profile, {"object": "Account", "dataTransferApi": "BULKV2"}, [projection("Id")],
                         batch_size=333)
    assert table.num_rows == COUNTS["Account"]
    assert source.stats.pages_read == 5 and source.stats.max_page_size == 500
    assert len(set(table.column("Id").to_pylist())) == COUNTS["Account"]


def test_bulk_leaves_compound_fields_null(profile: ProfileView) -> None:
    tasks = [projection("Id", "BillingAddress")]
    rest, _ = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"}, tasks)
    bulk, _ = read(profile, {"object": "Account", "dataTransferApi": "BULKV2"}, tasks)
    assert rest.schema == bulk.schema
    assert rest.column("BillingAddress").null_count < rest.num_rows  # JSON text on REST
    assert bulk.column("BillingAddress").null_count == bulk.num_rows


def test_automatic_uses_rest_below_the_threshold_and_bulk_from_it(
    profile: ProfileView, monkeypatch: pytest.MonkeyPatch
) -> None:
    props = {"object": "Opportunity", "dataTransferApi": "AUTOMATIC"}
    _, source = read(profile, props, [projection("Id")])
    assert source.chosen_api == "REST_SYNC"
    monkeypatch.setenv("SLUICE_SALESFORCE_BULK_THRESHOLD", "400")
    table, source = read(profile, props, [projection("Id")])
    assert source.chosen_api == "BULKV2" and table.num_rows == 400
    # The count uses the same WHERE as the read: 2 Opportunities match, below the threshold.
    filtered = [projection("Id"), compare("Amount", "LESS_THAN", VALUE="0")]
    _, source = read(profile, props, filtered)
    assert source.chosen_api == "REST_SYNC"


def test_automatic_reads_through_bulk_when_counting_times_out(fake: FakeSalesforce, profile: ProfileView) -> None:
    fake.org.faults.add("GET", r"/query$", 400, "QUERY_TIMEOUT", message="Your query request was running for too long.")
    table, source = read(profile, {"object": "Opportunity"}, [projection("Id")])
    assert source.chosen_api == "BULKV2" and table.num_rows == COUNTS["Opportunity"]


def test_throttling_and_server_errors_are_retried_then_reported(
    fake: FakeSalesforce, profile: ProfileView, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BACKOFF_BASE", "0")
    fake.org.faults.add("GET", r"/query", 403, "REQUEST_LIMIT_EXCEEDED", count=2)
    table, _ = read(profile, {"object": "Opportunity", "dataTransferApi": "REST_SYNC"}, [projection("Id")])
    assert table.num_rows == COUNTS["Opportunity"]
    fake.org.faults.add("GET", r"/query", 403, "REQUEST_LIMIT_EXCEEDED", count=-1)
    try:
        with pytest.raises(ConnectorError) as caught:
            read(profile, {"object": "Opportunity", "dataTransferApi": "REST_SYNC"}, [projection("Id")])
    finally:
        fake.org.faults.clear()
    assert caught.value.code == "ThrottlingError"
    assert "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in caught.value.message


@pytest.mark.parametrize(("api", "path"), [("REST_SYNC", r"/query$"), ("BULKV2", r"/jobs/query$")])
def test_query_errors_carry_salesforce_message(fake: FakeSalesforce, profile: ProfileView, api: str, path: str) -> None:
    message = "unexpected token: 'FORM'"
    fake.org.faults.add("*", path, 400, "MALFORMED_QUERY", message=message)
    with pytest.raises(ConnectorError) as caught:
        read(profile, {"object": "Opportunity", "dataTransferApi": api}, [projection("Id")])
    assert caught.value.code == "InvalidArgument"
    assert caught.value.message == f"MALFORMED_QUERY: {message}"


def test_include_deleted_records(fake: FakeSalesforce, profile: ProfileView) -> None:
    with SalesforceClient(profile) as client:
        first = client.request("GET", client.data_path("query"),
                               params={"q": "SELECT Id FROM Contact ORDER BY Id LIMIT 1"}).json()["records"][0]["Id"]
        client.request("DELETE", client.data_path(f"sobjects/Contact/{first}"))
    tasks = [projection("Id", "IsDeleted")]
    for api in ("REST_SYNC", "BULKV2"):
        live, _ = read(profile, {"object": "Contact", "dataTransferApi": api}, tasks)
        assert first not in live.column("Id").to_pylist(), api
        everything, _ = read(profile, {"object": "Contact", "dataTransferApi": api, "includeDeletedRecords": True},
                             tasks)
        deleted = everything.filter(pa.compute.equal(everything.column("Id"), first))
        assert deleted.column("IsDeleted").to_pylist() == [True], api


PUSHED = [
    [compare("NumberOfEmployees", "GREATER_THAN", VALUE="100000")],
    [compare("NumberOfEmployees", "BETWEEN", LOWER_BOUND="1000", UPPER_BOUND="50000.5")],
    [compare("AnnualRevenue", "LESS_THAN_OR_EQUAL_TO", VALUE="1000000")],
    [compare("AnnualRevenue", "NOT_EQUAL_TO", VALUE="0")],
    [compare("Industry", "EQUAL_TO", VALUES='["Banking", "Energy"]')],
    [compare("Name", "CONTAINS", VALUE="Acme")],
    [compare("Industry", "EQUAL_TO", VALUE="banking")],  # SOQL = ignores case; the engine does not
    [compare("IsActive__c", "EQUAL_TO", VALUE="false")],
    [compare("LastModifiedDate", "GREATER_THAN_OR_EQUAL_TO", VALUE="2024-06-01T00:00:00.250Z")],
    [compare("LastModifiedDate", "LESS_THAN", VALUE="1710000000000"),
     compare("Industry", "NOT_EQUAL_TO", VALUE="Banking")],
]


@pytest.mark.parametrize("filters", PUSHED, ids=[f[0]["connectorOperator"]["Salesforce"] + "-" + f[0]["sourceFields"][0]
                                                 for f in PUSHED])
def test_pushed_down_filters_keep_the_engine_records(profile: ProfileView, filters: list[dict[str, Any]]) -> None:
    tasks = [projection("Id", "Name", "NumberOfEmployees", "AnnualRevenue", "Industry", "IsActive__c",
                        "LastModifiedDate"), *filters,
             {"taskType": "Map", "sourceFields": ["Id"], "destinationField": "Id", "taskProperties": {}}]
    pipeline = compile_tasks(tasks)
    everything, _ = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"}, [tasks[0]])
    pushed, source = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"}, tasks)
    assert source.plan is not None and source.plan.where  # something was pushed down
    expected = sorted(i for b in everything.to_batches() for i in pipeline.apply(b).column("Id").to_pylist())
    got = sorted(i for b in pushed.to_batches() for i in pipeline.apply(b).column("Id").to_pylist())
    assert got == expected
    assert pushed.num_rows < everything.num_rows


def test_incremental_window_on_the_default_and_a_named_field(profile: ProfileView) -> None:
    start, end = 1717200000.0, 1719792000.0  # June 2024
    everything, _ = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"},
                         [projection("Id", "LastModifiedDate", "CreatedDate")])
    stamps = everything.column("LastModifiedDate").cast(pa.int64()).to_pylist()
    expected = sum(1 for s in stamps if start * 1000 < s <= end * 1000)
    for api in ("REST_SYNC", "BULKV2"):
        windowed, _ = read(profile, {"object": "Account", "dataTransferApi": api}, [projection("Id")],
                           window_start=start, window_end=end)
        assert windowed.num_rows == expected, api
    # A named window field is added to the columns so the engine can split by it.
    named, source = read(profile, {"object": "Account", "dataTransferApi": "REST_SYNC"}, [projection("Id")],
                         window_start=start, window_end=end, window_field="CreatedDate")
    assert named.schema.names == ["Id", "CreatedDate"]
    assert source.plan is not None and "CreatedDate > 2024-06-01T00:00:00Z" in source.plan.where


def test_dynamic_fields_and_map_all_read_every_field(profile: ProfileView) -> None:
    dynamic, _ = read(profile, {"object": "Contact", "enableDynamicFieldUpdate": True, "dataTransferApi": "REST_SYNC"},
                      [projection("Id")])
    mapped, _ = read(profile, {"object": "Contact", "dataTransferApi": "REST_SYNC"}, [projection("Id"), map_all()])
    assert dynamic.schema.names == mapped.schema.names
    assert {"Id", "FirstName", "Email", "Birthdate", "LastModifiedDate"} <= set(dynamic.schema.names)
    assert dynamic.schema.field("Birthdate").type == pa.date32()


def test_unknown_projected_fields_are_named(profile: ProfileView) -> None:
    with pytest.raises(ConnectorError) as caught:
        read(profile, {"object": "Account"}, [projection("Id", "Nope__c", "AlsoNot")])
    assert caught.value.code == "InvalidArgument"
    assert "'Nope__c', 'AlsoNot'" in caught.value.message


def test_unknown_object_is_resource_not_found(profile: ProfileView) -> None:
    with pytest.raises(ConnectorError) as caught:
        read(profile, {"object": "Nope__c"}, [projection("Id")])
    assert caught.value.code == "ResourceNotFound"


@pytest.mark.parametrize("api", ["REST_SYNC", "BULKV2"])
def test_projection_is_matched_whatever_the_case(profile: ProfileView, api: str) -> None:
    tasks = [projection("id", "EMAIL", "Id")]
    table, source = read(profile, {"object": "Contact", "dataTransferApi": api}, tasks)
    assert table.schema.names == ["id", "EMAIL", "Id"]
    assert source.plan is not None and source.plan.query(bulk=False).startswith("SELECT Id, Email FROM Contact")
    assert table.column("id").null_count == 0
    assert table.column("id").equals(table.column("Id"))


def test_bad_properties_are_refused() -> None:
    context = RunContext("flow", "exec", 1, time.time(), "/tmp")
    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": "https://x"}, credentials={"accessToken": "t"})
    with pytest.raises(ConnectorError, match="object"):
        SalesforceSource(profile, {}, context)
    with pytest.raises(ConnectorError, match="dataTransferApi"):
        SalesforceSource(profile, {"object": "Account", "dataTransferApi": "SOAP"}, context)


# -- Bulk job edge cases (scripted answers) -----------------------------------------------------------------------

DESCRIBE = {"name": "Account", "fields": [{"name": "Id", "type": "id"}, {"name": "Name", "type": "string"}]}


def scripted(states: list[str], calls: list[tuple[str, str]], error_message: str = "") -> SalesforceClient:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        path = request.url.path
        if path.endswith("/describe"):
            return httpx.Response(200, json=DESCRIBE)
        if path.endswith("/jobs/query") and request.method == "POST":
            return httpx.Response(200, json={"id": "750X", "state": "UploadComplete"})
        if path.endswith("/jobs/query/750X") and request.method == "GET":
            state = states.pop(0) if len(states) > 1 else states[0]
            return httpx.Response(200, json={"id": "750X", "state": state, "errorMessage": error_message})
        if path.endswith("/results"):
            return httpx.Response(200, content=b"", headers={"Sforce-Locator": "null", "Sforce-NumberOfRecords": "0"})
        return httpx.Response(204)

    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": "https://x"}, credentials={"accessToken": "t"})
    return SalesforceClient(profile, http=httpx.Client(transport=httpx.MockTransport(handler)))


def bulk_source(client: SalesforceClient, should_stop: Any = lambda: False) -> SalesforceSource:
    context = RunContext("flow", "exec", 1, time.time(), "/tmp", should_stop=should_stop)
    return SalesforceSource(client.profile, {"object": "Account", "dataTransferApi": "BULKV2"}, context, client=client)


def test_a_failed_bulk_job_reports_salesforce_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.connectors.salesforce.bulk_query.FIRST_POLL", 0.001)
    calls: list[tuple[str, str]] = []
    client = scripted(["InProgress", "Failed"], calls, "INVALID_FIELD: No such column 'Nope'")
    with pytest.raises(ConnectorError) as caught:
        list(bulk_source(client).read())
    assert "No such column 'Nope'" in caught.value.message and "750X" in caught.value.message


def test_an_empty_bulk_result_yields_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    assert list(bulk_source(scripted(["JobComplete"], calls)).read()) == []
    assert calls[-1] == ("GET", "/services/data/v59.0/jobs/query/750X/results")


def test_a_canceled_run_aborts_the_bulk_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.connectors.salesforce.bulk_query.FIRST_POLL", 0.001)
    calls: list[tuple[str, str]] = []
    polls = iter([False, False, True])
    source = bulk_source(scripted(["InProgress"], calls), should_stop=lambda: next(polls, True))
    assert list(source.read()) == []
    assert ("PATCH", "/services/data/v59.0/jobs/query/750X") in calls
    assert not any(path.endswith("/results") for _, path in calls)


def test_bulk_pages_stream_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.connectors.salesforce.bulk_query.CHUNK_BYTES", 5)
    monkeypatch.setattr("sluice.connectors.salesforce.bulk_query.QUEUE_CHUNKS", 2)
    pages = {
        None: (b'"Id","Name"\n"001A","two\nlines, ""quoted"""\n"001B",""\n', "L2"),
        "L2": (b'"Id","Name"\n"001C","last"\n', "null"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/describe"):
            return httpx.Response(200, json=DESCRIBE)
        if request.method == "POST":
            return httpx.Response(200, json={"id": "750X", "state": "UploadComplete"})
        if path.endswith("/results"):
            body, locator = pages[request.url.params.get("locator")]
            return httpx.Response(200, content=body, headers={"Sforce-Locator": locator})
        return httpx.Response(200, json={"id": "750X", "state": "JobComplete"})

    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": "https://x"}, credentials={"accessToken": "t"})
    client = SalesforceClient(profile, http=httpx.Client(transport=httpx.MockTransport(handler)))
    source = bulk_source(client)
    rows = [r for b in source.read() for r in b.to_pylist()]
    assert rows == [{"Id": "001A", "Name": 'two\nlines, "quoted"'}, {"Id": "001B", "Name": None},
                    {"Id": "001C", "Name": "last"}]
    assert source.stats.pages_read == 2 and source.stats.max_page_size == 2
    assert source.stats.bytes_read == sum(len(body) for body, _ in pages.values())


class _BreakingStream(httpx.SyncByteStream):
    """A body that sends `good` bytes, then loses the connection."""

    def __init__(self, body: bytes, good: int) -> None:
        self.body, self.good = body, good

    def __iter__(self) -> Iterator[bytes]:
        yield self.body[: self.good]
        raise httpx.ReadError("connection reset")


def test_a_page_download_that_breaks_off_resumes_without_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BACKOFF_BASE", "0")
    body = b"Id,Name\n" + b"".join(b"001%04d,Name %d\n" % (i, i) for i in range(500))
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/describe"):
            return httpx.Response(200, json=DESCRIBE)
        if request.method == "POST":
            return httpx.Response(200, json={"id": "750X", "state": "UploadComplete"})
        if path.endswith("/results"):
            attempts.append(1)
            headers = {"Sforce-Locator": "null", "Sforce-NumberOfRecords": "500"}
            if len(attempts) == 1:
                return httpx.Response(200, stream=_BreakingStream(body, 1234), headers=headers)
            return httpx.Response(200, content=body, headers=headers)
        return httpx.Response(200, json={"id": "750X", "state": "JobComplete"})

    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": "https://x"}, credentials={"accessToken": "t"})
    client = SalesforceClient(profile, http=httpx.Client(transport=httpx.MockTransport(handler)))
    ids = [r["Id"] for b in bulk_source(client).read() for r in b.to_pylist()]
    assert len(attempts) == 2
    assert ids == [f"001{i:04d}" for i in range(500)]


def test_a_page_download_that_keeps_breaking_is_a_server_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BACKOFF_BASE", "0")
    monkeypatch.setenv("SLUICE_SALESFORCE_MAX_ATTEMPTS", "2")

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/describe"):
            return httpx.Response(200, json=DESCRIBE)
        if request.method == "POST":
            return httpx.Response(200, json={"id": "750X", "state": "UploadComplete"})
        if path.endswith("/results"):
            return httpx.Response(200, stream=_BreakingStream(b"Id,Name\n001,A\n", 9),
                                  headers={"Sforce-Locator": "null"})
        return httpx.Response(200, json={"id": "750X", "state": "JobComplete"})

    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": "https://x"}, credentials={"accessToken": "t"})
    client = SalesforceClient(profile, http=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(ConnectorError) as caught:
        list(bulk_source(client).read())
    assert caught.value.code == "ServerError"
    assert "broke off 2 times (ReadError)" in caught.value.message
