"""Reading a custom connector entity: describe, QueryData pages, RetrieveData, batches, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.custom_connector import profile as profile_module
from sluice.connectors.custom_connector.source import CustomConnectorSource
from tests.unit.connectors.custom_connector.memory_connector import InProcessInvoker, MemoryConnector, make_profile

MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"},
           "taskProperties": {}}


def ctx(tmp_path: Path, *tasks: dict[str, Any], **extra: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e1", schema_version=1, started_at=0.0, data_dir=str(tmp_path),
                      tasks=tuple(tasks), **extra)


def flt(field: str | list[str], operator: str, **props: str) -> dict[str, Any]:
    fields = field if isinstance(field, list) else [field]
    return {"taskType": "Filter", "sourceFields": fields, "connectorOperator": {"CustomConnector": operator},
            "taskProperties": props}


def read(source: CustomConnectorSource) -> list[pa.RecordBatch]:
    return list(source.read())


def test_reads_every_page_as_typed_batches(tmp_path: Path) -> None:
    connector = MemoryConnector(records=25)
    invoker = InProcessInvoker(connector.handler)
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account", "customProperties": {"k": "v"}},
                                   ctx(tmp_path, MAP_ALL, batch_size=7), invoker=invoker, page_size=10)
    batches = read(source)
    assert [b.num_rows for b in batches] == [7, 7, 7, 4]
    schema = batches[0].schema
    assert schema.field("count").type == pa.int32() and schema.field("modified").type == pa.timestamp("us", "UTC")
    assert schema.field("price").type == pa.decimal128(38, 18) and schema.field("tags").type == pa.string()
    first = batches[0].to_pylist()[0]
    assert first["id"] == "A0000" and first["modified"] == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert source.stats.records_read == 25 and source.stats.pages_read == 3 and source.stats.max_page_size == 10
    assert source.stats.bytes_read > 0
    queries = invoker.of_type("QueryDataRequest")
    assert [q.get("nextToken") for q in queries] == [None, "10", "20"]
    assert all(q["maxResults"] == 10 and "filterExpression" not in q for q in queries)
    context = queries[0]["connectorContext"]
    assert context["entityDefinition"]["entity"]["entityIdentifier"] == "Account"
    assert context["connectorRuntimeSettings"] == {"region": "eu", "k": "v"}
    assert invoker.of_type("DescribeEntityRequest")


def test_projection_filters_and_window_are_pushed_down(tmp_path: Path) -> None:
    connector = MemoryConnector(records=5)
    invoker = InProcessInvoker(connector.handler)
    tasks = [flt(["name", "count"], "PROJECTION"), flt("count", "GREATER_THAN", VALUE="1"),
             {"taskType": "Map", "sourceFields": ["amount"], "destinationField": "amount",
              "connectorOperator": {"CustomConnector": "NO_OP"}, "taskProperties": {}}]
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    run = ctx(tmp_path, *tasks, window_field="modified", window_start=start, window_end=start + 86_400)
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"}, run, invoker=invoker)
    batches = read(source)
    assert batches[0].schema.names == ["name", "count", "amount", "modified"]
    query = invoker.of_type("QueryDataRequest")[0]
    assert query["selectedFieldNames"] == ["name", "count", "amount", "modified"]
    assert connector.filters == [
        "(modified > 2024-01-01T00:00:00Z and modified <= 2024-01-02T00:00:00Z) and (count > 1)"]
    assert source.filter_expression == connector.filters[0]


def test_unknown_projected_field_fails_the_run(tmp_path: Path) -> None:
    connector = MemoryConnector()
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"},
                                   ctx(tmp_path, flt(["name", "nope"], "PROJECTION")),
                                   invoker=InProcessInvoker(connector.handler))
    with pytest.raises(ConnectorError, match="'nope'") as raised:
        read(source)
    assert raised.value.code == "InvalidArgument"


def test_equal_to_on_the_primary_key_uses_retrieve_data(tmp_path: Path) -> None:
    connector = MemoryConnector(records=5)
    invoker = InProcessInvoker(connector.handler)
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"},
                                   ctx(tmp_path, MAP_ALL, flt("id", "EQUAL_TO", VALUE="A0001", VALUES="A0003")),
                                   invoker=invoker)
    rows = [r for b in read(source) for r in b.to_pylist()]
    assert [r["id"] for r in rows] == ["A0001", "A0003"]
    assert source.used_request == "RetrieveDataRequest" and not invoker.of_type("QueryDataRequest")
    assert invoker.of_type("RetrieveDataRequest")[0]["idFieldName"] == "id"


class _Failing(InProcessInvoker):
    def invoke(self, event: Any, timeout: float | None = None) -> dict[str, Any]:
        if event["type"] == "QueryDataRequest":
            raise ConnectorError("ConnectorTimeout", "the connector memory did not answer in 900 s")
        return super().invoke(event, timeout)


def test_a_failed_page_says_which(tmp_path: Path) -> None:
    connector = MemoryConnector()
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"}, ctx(tmp_path),
                                   invoker=_Failing(connector.handler))
    with pytest.raises(ConnectorError) as raised:
        read(source)
    assert raised.value.code == "ConnectorTimeout"
    assert raised.value.message.startswith("QueryData page 1 of Account failed: the connector memory did not answer")


def test_a_value_of_the_wrong_type_names_the_field(tmp_path: Path) -> None:
    connector = MemoryConnector(records=2)
    connector.entities["Account"][1]["count"] = "many"
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"}, ctx(tmp_path),
                                   invoker=InProcessInvoker(connector.handler))
    with pytest.raises(ConnectorError, match="'count' holds 'many'"):
        read(source)


class _Looping(InProcessInvoker):
    def invoke(self, event: Any, timeout: float | None = None) -> dict[str, Any]:
        answer = super().invoke(event, timeout)
        if event["type"] == "QueryDataRequest":
            answer["nextToken"] = "same"
        return answer


def test_a_repeated_next_token_stops_the_read(tmp_path: Path) -> None:
    connector = MemoryConnector(records=3)
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"}, ctx(tmp_path),
                                   invoker=_Looping(connector.handler))
    with pytest.raises(ConnectorError, match="already given"):
        read(source)


def test_a_refused_oauth2_token_is_refreshed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connector = MemoryConnector(records=3)
    saved: list[dict[str, Any]] = []
    forms: list[dict[str, str]] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        forms.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(200, json={"access_token": "good-token", "token_type": "Bearer"})

    monkeypatch.setattr(profile_module, "http_client",
                        lambda: httpx.Client(transport=httpx.MockTransport(token_endpoint)))
    credentials = {"authenticationType": "OAUTH2", "oauth2": {"clientId": "cid", "clientSecret": "cs",
                                                              "accessToken": "old", "refreshToken": "rt"}}
    properties = {"profileProperties": {}, "oAuth2Properties": {"tokenUrl": "https://auth.example/token",
                                                                "oAuth2GrantType": "AUTHORIZATION_CODE"}}
    profile = make_profile(connector, credentials, properties, saved=saved)
    source = CustomConnectorSource(profile, {"entityName": "Account"}, ctx(tmp_path),
                                   invoker=InProcessInvoker(connector.handler))
    assert sum(b.num_rows for b in read(source)) == 3
    assert forms == [{"grant_type": "refresh_token", "refresh_token": "rt", "client_id": "cid",
                      "client_secret": "cs"}]
    assert saved[-1]["oauth2"]["accessToken"] == "good-token" and saved[-1]["oauth2"]["refreshToken"] == "rt"
    assert json.loads(json.dumps(connector.secrets))  # the secret now holds the new token
    assert next(iter(connector.secrets.values()))["accessToken"] == "good-token"


def test_the_sdk_example_connector_translates_the_expression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS's example Salesforce connector reads Sluice's filterExpression (its visitor -> SOQL)."""
    from urllib.parse import unquote

    from custom_connector_example.handlers import salesforce as example_salesforce
    from custom_connector_example.handlers.client import SalesforceResponse
    from custom_connector_example.handlers.lambda_handler import SalesforceLambdaHandler

    describe = {"name": "Account", "fields": [
        {"name": "Id", "type": "id", "label": "Id", "filterable": True},
        {"name": "Name", "type": "string", "label": "Name", "filterable": True},
        {"name": "NumberOfEmployees", "type": "int", "label": "Employees", "filterable": True},
        {"name": "LastModifiedDate", "type": "datetime", "label": "Modified", "filterable": True}]}
    urls: list[str] = []

    class Client:
        def rest_get(self, url: str) -> SalesforceResponse:
            urls.append(unquote(url))
            if url.endswith("/describe"):
                return SalesforceResponse(200, json.dumps(describe), "OK")
            record = {"attributes": {}, "Id": "001", "Name": "Acme", "NumberOfEmployees": 12,
                      "LastModifiedDate": "2024-01-01T12:00:00.000+0000"}
            return SalesforceResponse(200, json.dumps({"records": [record]}), "OK")

    monkeypatch.setattr(example_salesforce, "get_salesforce_client", lambda context: Client())
    connector = MemoryConnector()
    profile = make_profile(connector, properties={"profileProperties": {"instanceUrl": "https://sf.example/"}})
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    run = ctx(tmp_path, flt(["Name", "NumberOfEmployees", "LastModifiedDate"], "PROJECTION"),
              flt("NumberOfEmployees", "GREATER_THAN", VALUE="10"), flt("Name", "CONTAINS", VALUE="Ac"),
              window_field="LastModifiedDate", window_start=start, window_end=start + 86_400)
    source = CustomConnectorSource(profile, {"entityName": "Account"}, run,
                                   invoker=InProcessInvoker(SalesforceLambdaHandler()))
    rows = [r for b in read(source) for r in b.to_pylist()]
    assert rows == [{"Name": "Acme", "NumberOfEmployees": 12,
                     "LastModifiedDate": datetime(2024, 1, 1, 12, tzinfo=UTC)}]
    assert urls[-1].split("query?q=", 1)[1] == (
        "select Name, NumberOfEmployees, LastModifiedDate from Account where "
        "LastModifiedDate > 2024-01-01T00:00:00.000+0000 and LastModifiedDate <= 2024-01-02T00:00:00.000+0000 "
        "and NumberOfEmployees > 10 and Name LIKE '%Ac%'")


class _NoRetrieve(InProcessInvoker):
    def invoke(self, event: Any, timeout: float | None = None) -> dict[str, Any]:
        if event["type"] == "RetrieveDataRequest":
            return {"isSuccess": False, "errorDetails": {"errorCode": "InvalidArgument", "errorMessage": "not built"}}
        return super().invoke(event, timeout)


def test_retrieve_data_falls_back_to_query_data(tmp_path: Path) -> None:
    connector = MemoryConnector(records=3)
    invoker = _NoRetrieve(connector.handler)
    source = CustomConnectorSource(make_profile(connector), {"entityName": "Account"},
                                   ctx(tmp_path, flt("id", "EQUAL_TO", VALUE="A0001")), invoker=invoker)
    assert sum(b.num_rows for b in read(source)) == 3  # the engine's Filter keeps A0001
    assert source.used_request == "QueryDataRequest" and connector.filters == ["id = 'A0001'"]
