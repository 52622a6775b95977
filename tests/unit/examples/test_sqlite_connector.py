"""The example SQLite connector (examples/sqlite_connector), called through its `lambda_handler`.

Secrets Manager is moto's, in-process: the connector's boto3 client honours the environment,
exactly as it would read Sluice's GetSecretValue in a deployment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.server import ThreadedMotoServer

from tests.fakes.lambda_endpoint import FakeLambda

ROOT = Path(__file__).resolve().parents[3]
HANDLER_FILE = ROOT / "examples" / "sqlite_connector" / "handler.py"


def load_handler() -> Any:
    """Import handler.py by file path, as Sluice's local runner and Lambda do."""
    spec = importlib.util.spec_from_file_location("sqlite_connector_handler", HANDLER_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


lambda_handler = load_handler()


@pytest.fixture(scope="module")
def secrets() -> Iterator[dict[str, str]]:
    """moto Secrets Manager with a good (flat), a good (nested SDK shape) and a wrong-token secret."""
    patch = pytest.MonkeyPatch()
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_PROFILE"):
        patch.delenv(key, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")

        def create(name: str, value: dict[str, Any]) -> str:
            return client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]

        yield {
            "good": create("good", {"apiToken": "example-token"}),
            "nested": create("nested", {"authenticationType": "ApiToken",
                                        "customCredentials": {"apiToken": "shop-admin-token"}}),
            "bad": create("bad", {"apiToken": "wrong"}),
        }
    patch.undo()


_FOLDER: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def databases_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The operator's folder for `databasePath` (every tmp_path of this run lies inside it)."""
    base = tmp_path_factory.getbasetemp()
    patch = pytest.MonkeyPatch()
    patch.setenv("SLUICE_EXAMPLE_CONNECTOR_DIR", str(base))
    _FOLDER[:] = [base]
    yield base
    patch.undo()


def name(path: str | Path) -> str:
    """`databasePath` for a file in the databases folder: its name relative to the folder."""
    return os.path.relpath(path, _FOLDER[0])


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A read-only-by-convention copy of the shop database (built from shop.sql on first use)."""
    return str(tmp_path_factory.mktemp("shop") / "shop.db")


def context(secret_arn: str, db_path: str) -> dict[str, Any]:
    """A ConnectorContext as Sluice sends it."""
    return {"apiVersion": "v1", "connectorRuntimeSettings": {"databasePath": name(db_path)},
            "credentials": {"secretArn": secret_arn, "authenticationType": "CustomAuth"}}


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """Call the handler; the answer must be JSON-serialisable, as Lambda requires."""
    return json.loads(json.dumps(lambda_handler(event, None)))


def query(secrets: dict[str, str], db: str, entity: str, expression: str | None = None, **extra: Any) -> dict:
    """A QueryData answer."""
    event = {"type": "QueryDataRequest", "entityIdentifier": entity, "connectorContext": context(secrets["good"], db),
             **extra}
    if expression is not None:
        event["filterExpression"] = expression
    return invoke(event)


def test_describe_connector_configuration() -> None:
    answer = invoke({"type": "DescribeConnectorConfigurationRequest", "locale": "en-US"})
    assert answer["isSuccess"] is True
    assert answer["connectorModes"] == ["SOURCE", "DESTINATION"]
    assert answer["supportedApiVersions"] == ["v1"]
    auth = answer["authenticationConfig"]
    assert auth["isCustomAuthSupported"] is True and not auth["isOAuth2Supported"]
    (custom,) = auth["customAuthConfig"]
    assert custom["authParameters"][0]["key"] == "apiToken" and custom["authParameters"][0]["sensitiveField"] is True
    (setting,) = answer["connectorRuntimeSetting"]
    assert setting["key"] == "databasePath" and setting["scope"] == "CONNECTOR_PROFILE" and setting["required"] is False
    assert set(answer["supportedWriteOperations"]) == {"INSERT", "UPDATE", "UPSERT", "DELETE"}
    assert {"BETWEEN", "CONTAINS", "EQUAL_TO"} <= set(answer["operatorsSupported"])
    assert "ONCE" in answer["triggerFrequenciesSupported"]


def test_validate_credentials(secrets: dict[str, str], db: str) -> None:
    def validate(secret_arn: str) -> dict[str, Any]:
        return invoke({"type": "ValidateCredentialsRequest", "connectorRuntimeSettings": {"databasePath": name(db)},
                       "credentials": {"secretArn": secret_arn, "authenticationType": "CustomAuth"}})

    assert validate(secrets["good"])["isSuccess"] is True
    assert validate(secrets["nested"])["isSuccess"] is True  # a token stored in the database
    bad = validate(secrets["bad"])
    assert bad["isSuccess"] is False and bad["errorDetails"]["errorCode"] == "InvalidCredentials"
    missing = validate(secrets["good"].replace(":good", ":missing"))
    assert missing["isSuccess"] is False and missing["errorDetails"]["errorCode"] == "ResourceNotFoundError"


def test_bad_token_fails_data_requests(secrets: dict[str, str], db: str) -> None:
    answer = invoke({"type": "ListEntitiesRequest", "connectorContext": context(secrets["bad"], db)})
    assert answer["isSuccess"] is False and answer["errorDetails"]["errorCode"] == "InvalidCredentials"


def test_validate_runtime_settings(tmp_path: Path) -> None:
    def validate(settings: dict[str, Any]) -> dict[str, Any]:
        return invoke({"type": "ValidateConnectorRuntimeSettingsRequest", "scope": "CONNECTOR_PROFILE",
                       "connectorRuntimeSettings": settings})

    assert validate({})["isSuccess"] is True
    assert validate({"databasePath": name(tmp_path / "new.db")})["isSuccess"] is True
    (tmp_path / "junk.db").write_text("not a database at all" * 100)
    for bad in (name(tmp_path / "nope" / "x.db"), name(tmp_path), name(tmp_path / "junk.db")):
        answer = validate({"databasePath": bad})
        assert answer["isSuccess"] is False and "databasePath" in answer["errorsByInputField"], bad


def test_database_path_stays_in_the_operators_folder(secrets: dict[str, str], tmp_path: Path) -> None:
    """A caller's databasePath cannot open or create files outside the configured folder."""
    outside = _FOLDER[0].parent / f"outside-{_FOLDER[0].name}"
    outside.mkdir(exist_ok=True)
    (tmp_path / "escape").symlink_to(outside)
    for bad in (str(outside / "x.db"), "../x.db", name(tmp_path) + "/../../../x.db", name(tmp_path / "escape" / "x.db"),
                "~/x.db"):
        answer = invoke({"type": "ValidateConnectorRuntimeSettingsRequest", "scope": "CONNECTOR_PROFILE",
                         "connectorRuntimeSettings": {"databasePath": bad}})
        assert answer["isSuccess"] is False and "databasePath" in answer["errorsByInputField"], bad
        event = {"type": "ListEntitiesRequest", "connectorContext": {
            "apiVersion": "v1", "connectorRuntimeSettings": {"databasePath": bad},
            "credentials": {"secretArn": secrets["good"], "authenticationType": "CustomAuth"}}}
        refused = invoke(event)
        assert refused["isSuccess"] is False and refused["errorDetails"]["errorCode"] == "InvalidArgument", bad
    assert list(outside.iterdir()) == []


def test_list_entities_paged(secrets: dict[str, str], db: str) -> None:
    ctx = context(secrets["good"], db)
    answer = invoke({"type": "ListEntitiesRequest", "connectorContext": ctx})
    assert [e["entityIdentifier"] for e in answer["entities"]] == ["customers", "orders", "products"]
    assert answer["nextToken"] is None and answer["entities"][0]["isWritable"] is True
    first = invoke({"type": "ListEntitiesRequest", "connectorContext": ctx, "maxResult": 2})
    assert len(first["entities"]) == 2 and first["nextToken"]
    rest = invoke({"type": "ListEntitiesRequest", "connectorContext": ctx, "maxResult": 2,
                   "nextToken": first["nextToken"]})
    assert [e["entityIdentifier"] for e in rest["entities"]] == ["products"] and rest["nextToken"] is None


def test_describe_entity(secrets: dict[str, str], db: str) -> None:
    answer = invoke({"type": "DescribeEntityRequest", "entityIdentifier": "orders",
                     "connectorContext": context(secrets["good"], db)})
    fields = {f["fieldName"]: f for f in answer["entityDefinition"]["fields"]}
    assert list(fields) == ["id", "customer_id", "amount", "status", "ordered_at", "updated_at"]
    assert {name: f["dataType"] for name, f in fields.items()} == {
        "id": "Integer", "customer_id": "Integer", "amount": "Double", "status": "String", "ordered_at": "Date",
        "updated_at": "DateTime"}
    assert fields["id"]["isPrimaryKey"] is True and fields["amount"]["isPrimaryKey"] is False
    assert fields["id"]["writeProperties"]["supportedWriteOperations"] == ["UPDATE", "UPSERT", "DELETE"]
    assert fields["updated_at"]["readProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["status"]["writeProperties"]["isNullable"] is False
    assert "CONTAINS" in fields["status"]["filterOperators"] and "BETWEEN" in fields["amount"]["filterOperators"]
    customers = invoke({"type": "DescribeEntityRequest", "entityIdentifier": "customers",
                        "connectorContext": context(secrets["good"], db)})
    email = next(f for f in customers["entityDefinition"]["fields"] if f["fieldName"] == "email")
    assert "UPSERT" in email["writeProperties"]["supportedWriteOperations"]  # unique column
    missing = invoke({"type": "DescribeEntityRequest", "entityIdentifier": "nope",
                      "connectorContext": context(secrets["good"], db)})
    assert missing["isSuccess"] is False and missing["errorDetails"]["errorCode"] == "InvalidArgument"


def expected_count(db: str, where: str, params: tuple[Any, ...] = ()) -> int:
    """Rows of orders matching a hand-written WHERE, straight from SQLite."""
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM orders WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize(("expression", "where"), [
    ("amount > 400", "amount > 400"),
    ("amount >= 100.5 and amount < 200", "amount >= 100.5 AND amount < 200"),
    ("status = 'paid' or status = \"cancelled\"", "status IN ('paid', 'cancelled')"),
    ("not (status != 'pending')", "status = 'pending'"),
    ("status contains 'ip'", "status = 'shipped'"),
    ("amount between 10 and 20", "amount BETWEEN 10 AND 20"),
    ("customer_id in (1, 2, 3, 42)", "customer_id IN (1, 2, 3, 42)"),
    ("ordered_at < 2024-02-01", "ordered_at < '2024-02-01'"),
    ("ordered_at between 2024-03-01 and 2024-03-31", "ordered_at BETWEEN '2024-03-01' AND '2024-03-31'"),
    ("updated_at > 2024-06-30T12:00:00Z", "updated_at > '2024-06-30T12:00:00Z'"),
    ("updated_at >= 2024-06-30T12:00:00.250Z and updated_at < 2024-07-01T00:00:00Z",
     "updated_at >= '2024-06-30T12:00:00Z' AND updated_at < '2024-07-01T00:00:00Z'"),
    ("(status = 'paid' and amount > 300) or customer_id = 7", "(status = 'paid' AND amount > 300) OR customer_id = 7"),
])
def test_query_filters(secrets: dict[str, str], db: str, expression: str, where: str) -> None:
    answer = query(secrets, db, "orders", expression, maxResults=10000)
    assert answer["isSuccess"] is True, answer
    assert len(answer["records"]) == expected_count(db, where) > 0


def test_query_paging_and_projection(secrets: dict[str, str], db: str) -> None:
    seen: list[int] = []
    token = None
    pages = 0
    while True:
        extra: dict[str, Any] = {"maxResults": 1000, "selectedFieldNames": ["id", "amount"]}
        if token:
            extra["nextToken"] = token
        answer = query(secrets, db, "orders", **extra)
        records = [json.loads(r) for r in answer["records"]]
        assert all(set(r) == {"id", "amount"} for r in records)
        seen += [r["id"] for r in records]
        pages += 1
        token = answer["nextToken"]
        if not token:
            break
    assert pages == 5 and seen == list(range(1, 5001))


def test_query_limit_and_booleans(secrets: dict[str, str], db: str) -> None:
    limited = query(secrets, db, "customers", "country = 'US' limit 25", maxResults=10)
    assert len(limited["records"]) == 10 and limited["nextToken"] == "10"
    records = [json.loads(r) for r in query(secrets, db, "products", "active = false")["records"]]
    assert records and all(r["active"] is False for r in records)
    assert len(query(secrets, db, "products", "active = true")["records"]) == 24 - len(records)


def test_query_errors(secrets: dict[str, str], db: str) -> None:
    for expression in ("amount >", "nosuchfield = 1", "amount = null and"):
        answer = query(secrets, db, "orders", expression)
        assert answer["isSuccess"] is False and answer["errorDetails"]["errorCode"] == "InvalidArgument", expression
    answer = query(secrets, db, "orders", selectedFieldNames=["id", "bogus"])
    assert answer["isSuccess"] is False
    # Values are bound, never pasted into SQL.
    injected = query(secrets, db, "customers", "name = \"x' OR '1'='1\"")
    assert injected["isSuccess"] is True and injected["records"] == []


def test_retrieve_data(secrets: dict[str, str], db: str) -> None:
    answer = invoke({"type": "RetrieveDataRequest", "entityIdentifier": "customers",
                     "connectorContext": context(secrets["good"], db), "ids": ["3", "1", "999999"],
                     "selectedFieldNames": ["id", "email"]})
    assert [json.loads(r) for r in answer["records"]] == [{"id": 1, "email": "customer1@example.com"},
                                                          {"id": 3, "email": "customer3@example.com"}]
    by_email = invoke({"type": "RetrieveDataRequest", "entityIdentifier": "customers",
                       "connectorContext": context(secrets["good"], db), "idFieldName": "email",
                       "ids": ["customer5@example.com"]})
    assert json.loads(by_email["records"][0])["id"] == 5


def write(secrets: dict[str, str], db: str, entity: str, operation: str, records: list[dict[str, Any]],
          **extra: Any) -> dict[str, Any]:
    """A WriteData answer."""
    return invoke({"type": "WriteDataRequest", "entityIdentifier": entity, "operation": operation,
                   "connectorContext": context(secrets["good"], db), "records": [json.dumps(r) for r in records],
                   **extra})


def test_write_data(secrets: dict[str, str], tmp_path: Path) -> None:
    db = str(tmp_path / "writes.db")
    inserted = write(secrets, db, "customers", "INSERT", [
        {"name": "New One", "email": "new1@example.com", "country": "NO"},
        {"name": "Bad Country", "email": "bad@example.com", "country": "NOR"},  # CHECK violation
        {"name": None, "email": "null@example.com", "country": "SE"},  # NOT NULL violation
        {"name": "Dup", "email": "customer1@example.com", "country": "SE"},  # UNIQUE violation
    ])
    results = inserted["writeRecordResults"]
    assert [r["isSuccess"] for r in results] == [True, False, False, False]
    assert results[0]["recordId"] == "1001"
    assert "CHECK" in results[1]["errorMessage"] and "NOT NULL" in results[2]["errorMessage"]
    assert inserted["isSuccess"] is False and inserted["errorDetails"]["errorCode"] == "PartialWriteFailure"

    updated = write(secrets, db, "customers", "UPDATE", [{"id": 1001, "country": "DK"},
                                                         {"id": 424242, "country": "DK"}], idFieldNames=["id"])
    assert [r["isSuccess"] for r in updated["writeRecordResults"]] == [True, False]
    upserted = write(secrets, db, "customers", "UPSERT", [
        {"email": "customer2@example.com", "name": "Renamed"},
        {"email": "brand-new@example.com", "name": "Brand New", "country": "FI"},
    ], idFieldNames=["email"])
    assert upserted["isSuccess"] is True, upserted
    deleted = write(secrets, db, "orders", "DELETE", [{"id": 1}, {"id": 2}])
    assert deleted["isSuccess"] is True
    bad_fk = write(secrets, db, "orders", "INSERT", [{"customer_id": 99999, "amount": 1, "ordered_at": "2024-01-01"}])
    assert "FOREIGN KEY" in bad_fk["writeRecordResults"][0]["errorMessage"]

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT country FROM customers WHERE id = 1001").fetchone() == ("DK",)
        row = conn.execute("SELECT name, updated_at FROM customers WHERE id = 2").fetchone()
        assert row == ("Renamed", row[1]) and row[1] != "2024-01-17T01:41:14Z"  # touched by the trigger
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (1002,)
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (4998,)


def test_write_all_or_none(secrets: dict[str, str], tmp_path: Path) -> None:
    db = str(tmp_path / "atomic.db")
    answer = write(secrets, db, "products", "INSERT", [
        {"sku": "NEW-1", "name": "ok", "price": 1},
        {"sku": "NEW-2", "name": "negative", "price": -5},
        {"sku": "NEW-3", "name": "never tried", "price": 2},
    ], allOrNone=True)
    assert [r["isSuccess"] for r in answer["writeRecordResults"]] == [False, False, False]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM products").fetchone() == (24,)


def test_unknown_request_type_raises() -> None:
    with pytest.raises(RuntimeError):
        lambda_handler({"type": "NoSuchRequest"}, None)


def test_runs_as_a_lambda_function(tmp_path: Path) -> None:
    """handler.py by file path in a fake Lambda environment, reading its secret from a moto server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    fake = FakeLambda().start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        arn = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing").create_secret(
            Name="shop", SecretString=json.dumps({"apiToken": "example-token"}))["ARN"]
        fake.add_function("shop", f"{HANDLER_FILE}:lambda_handler",
                          env={"AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
                               "SLUICE_EXAMPLE_CONNECTOR_DIR": str(_FOLDER[0]), **keys})
        client = boto3.client("lambda", endpoint_url=fake.url, region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
        event = {"type": "QueryDataRequest", "entityIdentifier": "customers", "maxResults": 5,
                 "filterExpression": "country = 'US'", "connectorContext": context(arn, str(tmp_path / "shop.db"))}
        answer = client.invoke(FunctionName=fake.arn("shop"), Payload=json.dumps(event))
        assert "FunctionError" not in answer
        body = json.loads(answer["Payload"].read())
        assert body["isSuccess"] is True and len(body["records"]) == 5 and body["nextToken"] == "5"
    finally:
        fake.stop()
        moto.stop()
