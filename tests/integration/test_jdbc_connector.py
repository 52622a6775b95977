"""JDBC (PostgreSQL, MariaDB) -> S3 and S3 -> Amazon RDS for PostgreSQL, through boto3 against real databases.

Profiles and flows are the shapes cdk-appflow's JDBC and RDS PostgreSQL constructs send
(`connectorLabel` JDBCsmall / AmazonRDSPostgreSQL, CUSTOM credentials with driver, hostname, port,
database, username, password; entities `schema.table`): managed labels, known without RegisterConnector.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.builders import unique
from tests.support import flows
from tests.support.mariadb import ROOT_PASSWORD, MariaDBServer
from tests.support.postgres import PostgresServer
from tests.support.server import SluiceServer

SPEEDUP = 60.0


def profile_request(name: str, label: str, driver: str, port: int, database: str, username: str,
                    password: str = "trust-auth-ignores-it") -> dict[str, Any]:
    credentials = {"username": username, "password": password, "hostname": "127.0.0.1", "port": str(port),
                   "database": database}
    if label == "JDBCsmall":
        credentials["driver"] = driver
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}},
            "connectorProfileCredentials": {"CustomConnector": {
                "authenticationType": "CUSTOM",
                "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": credentials}}}},
    }


def source(profile: str, entity: str, **extra: Any) -> dict[str, Any]:
    return {"connectorType": "CustomConnector", "apiVersion": "V1", "connectorProfileName": profile,
            "sourceConnectorProperties": {"CustomConnector": {"entityName": entity}}, **extra}


def task(task_type: str, fields: list[str], operator: str, **props: Any) -> dict[str, Any]:
    return {"taskType": task_type, "sourceFields": fields, "connectorOperator": {"CustomConnector": operator},
            "taskProperties": {k: str(v) for k, v in props.items()}, **(
                {"destinationField": fields[0]} if task_type == "Map" else {})}


def pg_connect(server: PostgresServer, database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/{database}", autocommit=True)


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("jdbc"), secrets=[ROOT_PASSWORD]) as server:
        yield server


@pytest.fixture(scope="module")
def pg_db(postgres: PostgresServer) -> tuple[PostgresServer, str]:
    name = postgres.create_database().rsplit("/", 1)[1]
    with pg_connect(postgres, name) as conn:
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TABLE sales.orders (id integer PRIMARY KEY, customer varchar(40), "
                     "amount numeric(10,2), created_on timestamptz, doc jsonb)")
        conn.execute("INSERT INTO sales.orders SELECT i, 'customer-' || (i % 7), i * 1.25, "
                     "'2024-01-01'::timestamptz + i * interval '1 hour', jsonb_build_object('n', i) "
                     "FROM generate_series(1, 300) AS i")
        # The statements the server runs show up in the cluster's log: the test reads the push-down there.
        conn.execute(f'ALTER DATABASE "{name}" SET log_statement = \'all\'')
    return postgres, name


def test_postgres_table_to_s3_with_push_down(sluice: SluiceServer, pg_db: tuple[PostgresServer, str]) -> None:
    server, database = pg_db
    client = sluice.client()
    config = client.describe_connector(connectorType="CustomConnector", connectorLabel="JDBCsmall")
    assert config["connectorConfiguration"]["canUseAsSource"] is True
    profile = unique("jdbc")
    client.create_connector_profile(**profile_request(profile, "JDBCsmall", "postgresql", server.port, database,
                                                      "postgres"))
    schemas = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    assert "sales" in [e["name"] for group in schemas.values() for e in group]
    tables = client.list_connector_entities(connectorProfileName=profile, entitiesPath="sales")["connectorEntityMap"]
    assert [e["name"] for group in tables.values() for e in group] == ["sales.orders"]
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="sales.orders")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "customer", "amount", "created_on",
                                                                          "doc"]
    bucket = flows.new_bucket(sluice)
    marker = 250 + int(time.time()) % 7  # a value only this run's SQL holds, to find it in the log
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("pg-s3"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "sales.orders"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": [task("Filter", ["id", "customer", "amount"], "PROJECTION"),
                  task("Filter", ["id"], "GREATER_THAN", VALUE=marker, DATA_TYPE="integer"),
                  *[task("Map", [c], "NO_OP") for c in ("id", "customer", "amount")]],
    })
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["id"] for r in rows) == list(range(marker + 1, 301))
    assert rows[0].keys() == {"id", "customer", "amount"}
    assert isinstance(rows[0]["amount"], Decimal)
    assert record["executionResult"]["recordsProcessed"] == 300 - marker
    log = (server.root / "log").read_text(errors="replace")
    pushed = [line for line in log.splitlines() if "COPY (SELECT" in line and f"> {marker}" in line.replace("'", "")]
    assert pushed, "the filter was not pushed down"
    assert '"doc"' not in pushed[0] and '"id", "customer", "amount"' in pushed[0]


def test_incremental_scheduled_pulls_take_each_change_once(tmp_path: Path, postgres: PostgresServer) -> None:
    epoch = time.time()

    def virtual_now() -> datetime:
        return datetime.fromtimestamp(epoch + (time.time() - epoch) * SPEEDUP, UTC)

    database = postgres.create_database().rsplit("/", 1)[1]
    with pg_connect(postgres, database) as conn:
        conn.execute("CREATE TABLE public.accounts (id integer PRIMARY KEY, name text, changed timestamptz)")
        conn.execute("INSERT INTO public.accounts SELECT i, 'untouched', '2000-01-01' FROM generate_series(0, 9) i")

    def edit(index: int, label: str) -> None:
        with pg_connect(postgres, database) as c:
            c.execute("UPDATE public.accounts SET name = %s, changed = %s WHERE id = %s", (label, virtual_now(), index))

    for index in range(3):
        edit(index, f"first-{index}")
    env = flows.scheduler_env(SPEEDUP, epoch)
    with flows.saas_server(tmp_path / "data", **env) as server:
        client = server.client()
        profile, name, bucket = unique("jdbc"), unique("jdbc-inc"), flows.new_bucket(server)
        client.create_connector_profile(**profile_request(profile, "JDBCsmall", "postgresql", postgres.port,
                                                          database, "postgres"))
        now = virtual_now().timestamp()
        client.create_flow(
            flowName=name, triggerConfig=flows.incremental_schedule(now + SPEEDUP, now - 3600),
            sourceFlowConfig=source(profile, "public.accounts",
                                    incrementalPullConfig={"datetimeTypeFieldName": "changed"}),
            destinationFlowConfigList=flows.s3_parquet_destination(bucket),
            tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"},
                    "taskProperties": {}}],
        )
        flows.edits_land_once(client, server, name, bucket, "name", edit)


def test_mariadb_table_to_s3(sluice: SluiceServer, mariadb: MariaDBServer) -> None:
    database = mariadb.create_database()
    with mariadb.connect(database) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE products (sku VARCHAR(20) PRIMARY KEY, title VARCHAR(100), price DECIMAL(8,2), "
                    "in_stock BOOLEAN, updated DATETIME)")
        cur.executemany("INSERT INTO products VALUES (%s, %s, %s, %s, %s)",
                        [(f"sku-{i:03d}", f"Produkt {i} ☃", Decimal(i) / 4, i % 2 == 0, datetime(2024, 5, 1, i % 24))
                         for i in range(120)])
    client = sluice.client()
    profile = unique("maria")
    client.create_connector_profile(**profile_request(profile, "JDBCsmall", "mysql", mariadb.port, database, "root",
                                                      ROOT_PASSWORD))
    described = client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"][0]
    assert ROOT_PASSWORD not in str(described)
    bucket = flows.new_bucket(sluice)
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("maria-s3"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, f"{database}.products"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": [task("Filter", ["sku", "title", "price", "in_stock"], "PROJECTION"),
                  task("Filter", ["price"], "LESS_THAN", VALUE="5"),
                  *[task("Map", [c], "NO_OP") for c in ("sku", "title", "price", "in_stock")]],
    })
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["sku"] for r in rows) == [f"sku-{i:03d}" for i in range(20)]
    first = min(rows, key=lambda r: r["sku"])
    assert first == {"sku": "sku-000", "title": "Produkt 0 ☃", "price": Decimal("0.00"), "in_stock": True}


def test_s3_to_rds_postgresql_insert_and_upsert(sluice: SluiceServer, postgres: PostgresServer) -> None:
    database = postgres.create_database().rsplit("/", 1)[1]
    with pg_connect(postgres, database) as conn:
        conn.execute("CREATE TABLE public.contacts (email varchar(40) PRIMARY KEY, name varchar(10) NOT NULL, "
                     "score integer)")
        conn.execute("INSERT INTO public.contacts VALUES ('old@example.com', 'Old', 1)")
    client = sluice.client()
    profile = unique("rds")
    client.create_connector_profile(**profile_request(profile, "AmazonRDSPostgreSQL", "postgresql", postgres.port,
                                                      database, "postgres"))
    errors = flows.new_bucket(sluice, "err")

    def write(rows: list[dict[str, Any]], operation: str, **props: Any) -> dict[str, Any]:
        bucket = flows.csv_bucket(sluice, rows)
        name = unique("to-rds")
        client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(bucket),
            destinationFlowConfigList=[{
                "connectorType": "CustomConnector", "apiVersion": "1.0", "connectorProfileName": profile,
                "destinationConnectorProperties": {"CustomConnector": {
                    "entityName": "public.contacts", "writeOperationType": operation,
                    "errorHandlingConfig": {"bucketName": errors, "bucketPrefix": operation.lower()}, **props}}}],
            tasks=flows.copy_columns(["email", "name", "score"]),
        )
        return flows.start_and_wait(client, name)

    inserted = write([{"email": "a@example.com", "name": "Ada", "score": 5},
                      {"email": "b@example.com", "name": "A name far too long", "score": 6},
                      {"email": "c@example.com", "name": "Cy", "score": 7}], "INSERT")
    assert inserted["executionStatus"] == "Successful", inserted
    assert inserted["executionResult"]["recordsProcessed"] == 3
    refused = flows.error_records(sluice, errors)
    assert [(r["email"], r["errorCode"]) for r in refused] == [("b@example.com", "ValueTooLong")]
    upserted = write([{"email": "old@example.com", "name": "Renamed", "score": 10},
                      {"email": "d@example.com", "name": "Dee", "score": 8}], "UPSERT", idFieldNames=["email"])
    assert upserted["executionStatus"] == "Successful", upserted
    with pg_connect(postgres, database) as conn:
        table = conn.execute("SELECT email, name, score FROM public.contacts ORDER BY email").fetchall()
    assert table == [("a@example.com", "Ada", 5), ("c@example.com", "Cy", 7), ("d@example.com", "Dee", 8),
                     ("old@example.com", "Renamed", 10)]


def test_jdbc_table_into_rds_postgresql(sluice: SluiceServer, pg_db: tuple[PostgresServer, str]) -> None:
    """The CDK's JDBC -> AmazonRDSPostgreSQL stack: projection, Map tasks, INSERT into another database."""
    server, source_database = pg_db
    target_database = server.create_database().rsplit("/", 1)[1]
    with pg_connect(server, target_database) as conn:
        conn.execute("CREATE TABLE public.order_copy (id integer PRIMARY KEY, customer text, amount numeric(10,2))")
    client = sluice.client()
    jdbc, rds = unique("jdbc"), unique("rds")
    client.create_connector_profile(**profile_request(jdbc, "JDBCsmall", "postgresql", server.port, source_database,
                                                      "postgres"))
    client.create_connector_profile(**profile_request(rds, "AmazonRDSPostgreSQL", "postgresql", server.port,
                                                      target_database, "postgres"))
    name = unique("jdbc-rds")
    client.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig=source(jdbc, "sales.orders"),
        destinationFlowConfigList=[{
            "connectorType": "CustomConnector", "apiVersion": "1.0", "connectorProfileName": rds,
            "destinationConnectorProperties": {"CustomConnector": {"entityName": "public.order_copy",
                                                                   "writeOperationType": "INSERT"}}}],
        tasks=[task("Filter", ["id", "customer", "amount"], "PROJECTION"),
               *[task("Map", [c], "NO_OP") for c in ("id", "customer", "amount")]],
    )
    record = flows.start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    with pg_connect(server, target_database) as conn:
        copied = conn.execute("SELECT count(*), sum(amount), min(customer) FROM public.order_copy").fetchone()
    assert copied == (300, Decimal("56437.50"), "customer-0")


def test_s3_to_jdbc_mariadb_upsert(sluice: SluiceServer, mariadb: MariaDBServer) -> None:
    database = mariadb.create_database()
    with mariadb.connect(database) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE contacts (email VARCHAR(40) PRIMARY KEY, name VARCHAR(10) NOT NULL, score INT)")
        cur.execute("INSERT INTO contacts VALUES ('old@example.com', 'Old', 1)")
    client = sluice.client()
    profile = unique("maria-w")
    client.create_connector_profile(**profile_request(profile, "JDBCsmall", "mysql", mariadb.port, database, "root",
                                                      ROOT_PASSWORD))
    bucket = flows.csv_bucket(sluice, [{"email": "old@example.com", "name": "Renamed", "score": 10},
                                       {"email": "new@example.com", "name": "Nü", "score": 2},
                                       {"email": "bad@example.com", "name": None, "score": 3}])
    errors = flows.new_bucket(sluice, "err")
    name = unique("to-maria")
    client.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(bucket),
        destinationFlowConfigList=[{
            "connectorType": "CustomConnector", "apiVersion": "V1", "connectorProfileName": profile,
            "destinationConnectorProperties": {"CustomConnector": {
                "entityName": f"{database}.contacts", "writeOperationType": "UPSERT", "idFieldNames": ["email"],
                "errorHandlingConfig": {"bucketName": errors}}}}],
        tasks=flows.copy_columns(["email", "name", "score"]),
    )
    record = flows.start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    assert [(r["email"], r["errorCode"]) for r in flows.error_records(sluice, errors)] == [
        ("bad@example.com", "NullNotAllowed")]
    with mariadb.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT email, name, score FROM contacts ORDER BY email")
        assert list(cur.fetchall()) == [("new@example.com", "Nü", 2), ("old@example.com", "Renamed", 10)]
