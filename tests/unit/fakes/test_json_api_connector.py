"""The fake tickets API, its SDK connector, and the broken connectors, directly and through the fake Lambda."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.server import ThreadedMotoServer

from tests.fakes.connectors.json_api_connector import lambda_handler
from tests.fakes.json_api import FakeJsonApi
from tests.fakes.lambda_endpoint import FakeLambda

KEY = "test-key"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeJsonApi]:
    """The tickets API with 250 tickets."""
    with FakeJsonApi(api_key=KEY, tickets=250) as server:
        yield server


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto Secrets Manager (in-process) holding a good and a bad API key, in the SDK's `apiKey` key."""
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        yield {name: client.create_secret(Name=name, SecretString=json.dumps({"apiKey": value}))["ARN"]
               for name, value in (("good", KEY), ("bad", "wrong-key"))}


def http(api: FakeJsonApi, method: str, path: str, body: Any = None, key: str = KEY) -> tuple[int, Any]:
    """(status, decoded body) of a raw call to the fake API."""
    request = urllib.request.Request(api.url + path, method=method, headers={"Authorization": f"Bearer {key}"},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def ctx(api: FakeJsonApi, secret_arn: str) -> dict[str, Any]:
    """ConnectorContext for the API."""
    return {"apiVersion": "v1", "connectorRuntimeSettings": {"baseUrl": api.url},
            "credentials": {"secretArn": secret_arn, "authenticationType": "ApiKey"}}


def test_api_pages_and_auth(api: FakeJsonApi) -> None:
    assert http(api, "GET", "/v1/tickets", key="nope")[0] == 401
    ids, token = [], ""
    while True:
        status, page = http(api, "GET", f"/v1/tickets?limit=100&page_token={token}")
        assert status == 200
        ids += [t["id"] for t in page["tickets"]]
        token = page["next_page_token"]
        if not token:
            break
    assert ids == list(range(1, 251))
    assert http(api, "GET", "/v1/tickets?limit=500")[0] == 400
    assert http(api, "GET", "/v1/tickets/7")[1]["subject"] == "Ticket 7"


def test_api_create_validation_and_control(api: FakeJsonApi) -> None:
    status, body = http(api, "POST", "/v1/tickets", {"subject": ""})
    assert status == 422 and body["field"] == "subject"
    assert http(api, "POST", "/v1/tickets", {"subject": "x", "bogus": 1})[0] == 422
    http(api, "POST", "/v1/__control", {"fail": {"status": 503, "count": 1}})
    assert http(api, "GET", "/v1/tickets")[0] == 503
    assert http(api, "GET", "/v1/tickets")[0] == 200
    http(api, "POST", "/v1/__control", {"delay": 0.2})
    try:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(urllib.request.Request(api.url + "/v1/tickets", headers={
                "Authorization": f"Bearer {KEY}"}), timeout=0.05)
    finally:
        http(api, "POST", "/v1/__control", {"delay": 0})
    assert http(api, "GET", "/v1/__control")[1]["requests"]["GET /v1/tickets"] >= 3


def test_configuration(api: FakeJsonApi, secrets: dict[str, str]) -> None:
    config = lambda_handler({"type": "DescribeConnectorConfigurationRequest"}, None)
    assert config["authenticationConfig"]["isApiKeyAuthSupported"] is True
    assert config["connectorRuntimeSetting"][0]["key"] == "baseUrl"
    assert config["supportedWriteOperations"] == ["INSERT"]

    def validate(arn: str) -> dict[str, Any]:
        return lambda_handler({"type": "ValidateCredentialsRequest", "connectorRuntimeSettings": {"baseUrl": api.url},
                               "credentials": {"secretArn": arn, "authenticationType": "ApiKey"}}, None)

    assert validate(secrets["good"])["isSuccess"] is True
    assert validate(secrets["bad"])["errorDetails"]["errorCode"] == "InvalidCredentials"
    settings = lambda_handler({"type": "ValidateConnectorRuntimeSettingsRequest", "scope": "CONNECTOR_PROFILE",
                               "connectorRuntimeSettings": {"baseUrl": "ftp:/x"}}, None)
    assert settings["isSuccess"] is False and "baseUrl" in settings["errorsByInputField"]


def test_metadata(api: FakeJsonApi, secrets: dict[str, str]) -> None:
    entities = lambda_handler({"type": "ListEntitiesRequest", "connectorContext": ctx(api, secrets["good"])}, None)
    assert [e["entityIdentifier"] for e in entities["entities"]] == ["tickets"]
    described = lambda_handler({"type": "DescribeEntityRequest", "entityIdentifier": "tickets",
                                "connectorContext": ctx(api, secrets["good"])}, None)
    fields = {f["fieldName"]: f for f in described["entityDefinition"]["fields"]}
    assert fields["id"]["isPrimaryKey"] is True and fields["updated_at"]["dataType"] == "DateTime"


def test_query_pages_through_the_api(api: FakeJsonApi, secrets: dict[str, str]) -> None:
    seen, token = [], None
    while True:
        event = {"type": "QueryDataRequest", "entityIdentifier": "tickets", "maxResults": 60,
                 "connectorContext": ctx(api, secrets["good"]), "selectedFieldNames": ["id", "subject"]}
        if token:
            event["nextToken"] = token
        answer = lambda_handler(event, None)
        assert answer["isSuccess"] is True
        seen += [json.loads(r) for r in answer["records"]]
        token = answer["nextToken"]
        if not token:
            break
    assert [r["id"] for r in seen][:250] == list(range(1, 251)) and set(seen[0]) == {"id", "subject"}
    since = lambda_handler({"type": "QueryDataRequest", "entityIdentifier": "tickets", "maxResults": 100,
                            "filterExpression": "updated_at > 2024-02-01T00:00:00Z",
                            "connectorContext": ctx(api, secrets["good"])}, None)
    assert all(json.loads(r)["updated_at"] > "2024-02-01T00:00:00Z" for r in since["records"])
    assert json.loads(since["records"][0])["id"] > 1
    unsupported = lambda_handler({"type": "QueryDataRequest", "entityIdentifier": "tickets",
                                  "filterExpression": "status = 'open'",
                                  "connectorContext": ctx(api, secrets["good"])}, None)
    assert unsupported["errorDetails"]["errorCode"] == "InvalidArgument"


def test_query_errors_are_mapped(api: FakeJsonApi, secrets: dict[str, str]) -> None:
    event = {"type": "QueryDataRequest", "entityIdentifier": "tickets", "connectorContext": ctx(api, secrets["bad"])}
    assert lambda_handler(event, None)["errorDetails"]["errorCode"] == "InvalidCredentials"
    event["connectorContext"] = ctx(api, secrets["good"])
    http(api, "POST", "/v1/__control", {"fail": {"status": 429, "count": 1}})
    limited = lambda_handler(event, None)["errorDetails"]
    assert limited["errorCode"] == "RateLimitExceeded" and limited["retryAfterSeconds"] == 1


def test_retrieve_and_write(api: FakeJsonApi, secrets: dict[str, str]) -> None:
    retrieved = lambda_handler({"type": "RetrieveDataRequest", "entityIdentifier": "tickets", "ids": ["3", "99999"],
                                "connectorContext": ctx(api, secrets["good"])}, None)
    assert [json.loads(r)["id"] for r in retrieved["records"]] == [3]
    records = [{"subject": "Printer on fire", "priority": 1}, {"subject": ""}, {"subject": "Ok", "status": "weird"}]
    written = lambda_handler({"type": "WriteDataRequest", "entityIdentifier": "tickets", "operation": "INSERT",
                              "records": [json.dumps(r) for r in records],
                              "connectorContext": ctx(api, secrets["good"])}, None)
    results = written["writeRecordResults"]
    assert [r["isSuccess"] for r in results] == [True, False, False]
    assert "subject must not be empty" in results[1]["errorMessage"] and results[0]["recordId"].isdigit()
    assert written["errorDetails"]["errorCode"] == "PartialWriteFailure"
    assert http(api, "GET", f"/v1/tickets/{results[0]['recordId']}")[1]["subject"] == "Printer on fire"


@pytest.fixture(scope="module")
def lambda_stack(api: FakeJsonApi) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A moto server for Secrets Manager plus the fake Lambda running the tickets and broken connectors."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    secret_arn = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing").create_secret(
        Name="tickets-e2e", SecretString=json.dumps({"apiKey": KEY}))["ARN"]
    fake = FakeLambda().start()
    env = {"AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint, **keys}
    fake.add_function("tickets", "tests.fakes.connectors.json_api_connector:lambda_handler", env=env, timeout=10)
    for name in ("hang", "crash", "garbage"):
        fake.add_function(name, f"tests.fakes.connectors.broken:{name}", env=env, timeout=2)
    client = boto3.client("lambda", endpoint_url=fake.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
    try:
        yield client, {"apiVersion": "v1", "connectorRuntimeSettings": {"baseUrl": api.url},
                       "credentials": {"secretArn": secret_arn, "authenticationType": "ApiKey"}}
    finally:
        fake.stop()
        moto.stop()


def invoke(client: Any, name: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    """(FunctionError, decoded payload)."""
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event))
    return answer.get("FunctionError"), json.loads(answer["Payload"].read())


def test_through_fake_lambda(lambda_stack: tuple[Any, dict[str, Any]]) -> None:
    client, context = lambda_stack
    error, answer = invoke(client, "tickets", {"type": "QueryDataRequest", "entityIdentifier": "tickets",
                                               "maxResults": 100, "connectorContext": context})
    assert error is None and answer["isSuccess"] is True, answer
    assert len(answer["records"]) == 100 and answer["nextToken"]


def test_broken_connectors(lambda_stack: tuple[Any, dict[str, Any]]) -> None:
    client, context = lambda_stack
    query = {"type": "QueryDataRequest", "entityIdentifier": "tickets", "connectorContext": context}
    for name in ("hang", "crash"):
        error, config = invoke(client, name, {"type": "DescribeConnectorConfigurationRequest"})
        assert error is None and config["isSuccess"] is True
    error, answer = invoke(client, "hang", query)
    assert error == "Unhandled" and answer["errorMessage"].endswith("Task timed out after 2.00 seconds")
    error, answer = invoke(client, "crash", query)
    assert error == "Unhandled" and answer["errorType"] == "Runtime.ExitError"
    assert invoke(client, "crash", {"type": "DescribeConnectorConfigurationRequest"})[1]["isSuccess"] is True
    error, answer = invoke(client, "garbage", {"type": "DescribeConnectorConfigurationRequest"})
    assert error is None and isinstance(answer, str)
