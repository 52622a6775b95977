"""Stripe (managed label `Stripe`) -> S3 through boto3 against the fake Stripe account.

Profiles are CustomConnector profiles with the managed label and APIKEY credentials (the secret
key), flows name Stripe objects as `entityName`. One Sluice server and one fake serve the module;
the server's scheduler runs 60x faster than real time and the fake's clock runs on the same
accelerated time, so a `rate(1minutes)` incremental flow fires about once a real second.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fakes.stripe.server import FakeStripe
from tests.integration.builders import unique
from tests.support import flows, managed
from tests.support.managed import source, task
from tests.support.server import SluiceServer
from tests.support.tls import tls_env

SPEEDUP = 60.0
EPOCH = time.time()
CHARGES = 300


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(charges=CHARGES) as server:
        server.state.now = virtual_now  # type: ignore[method-assign]
        yield server


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory, fake: FakeStripe) -> Iterator[SluiceServer]:
    env = {**tls_env(), "SLUICE_ENDPOINT_URL_STRIPE": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(Path(tmp_path_factory.mktemp("stripe")) / "data", secrets=[fake.state.secret_key],
                           **env) as server:
        yield server


def profile_request(name: str, key: str) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": "Stripe",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}},
            "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "APIKEY",
                                                                "apiKey": {"apiKey": key}}}},
    }


MAP_ALL = [task("Map_all", [], "NO_OP")]


@pytest.fixture(scope="module")
def profile(sluice: SluiceServer, fake: FakeStripe) -> str:
    name = unique("stripe")
    sluice.client().create_connector_profile(**profile_request(name, fake.state.secret_key))
    return name


def test_metadata_lists_stripe_objects(sluice: SluiceServer, profile: str) -> None:
    client = sluice.client()
    entities = client.list_connector_entities(connectorProfileName=profile, connectorType="CustomConnector")
    names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
    assert names == {"balance_transactions", "charges", "coupons", "customers", "disputes", "events", "invoices",
                     "payment_intents", "payouts", "prices", "products", "refunds", "subscriptions"}
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorType="CustomConnector",
                                              connectorEntityName="charges")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["id"]["isPrimaryKey"]
    assert by_name["created"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]


def test_full_run_reads_every_charge(sluice: SluiceServer, fake: FakeStripe, profile: str) -> None:
    client, bucket = sluice.client(), flows.new_bucket(sluice)
    fake.state.log.clear()
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("stripe-full"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "charges"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    seeded = fake.state.count("charges")
    assert len(rows) == seeded and len({r["id"] for r in rows}) == seeded
    sample = next(r for r in rows if r["billing_details"]["address"] is not None)
    assert set(sample["billing_details"]["address"]) >= {"city", "country", "line1"}
    assert isinstance(sample["amount"], int) and sample["created"].tzinfo is not None
    pages = fake.state.log.matching("/v1/charges")
    assert len(pages) == math.ceil(seeded / 100)  # has_more is false on the last page
    assert all(p["query"]["limit"] == ["100"] for p in pages)


def test_filters_and_projection_are_pushed_down(sluice: SluiceServer, fake: FakeStripe, profile: str) -> None:
    client, bucket = sluice.client(), flows.new_bucket(sluice)
    every = [fake.state.get("charges", i) for i in range(CHARGES)]
    customer = Counter(c["customer"] for c in every if c["customer"]).most_common(1)[0][0]
    since = every[CHARGES // 3]["created"]
    fake.state.log.clear()
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("stripe-filter"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "charges"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": [task("Filter", ["id", "customer", "amount", "created"], "PROJECTION"),
                  task("Filter", ["customer"], "EQUAL_TO", VALUE=customer, DATA_TYPE="string"),
                  task("Filter", ["created"], "GREATER_THAN", VALUE=since * 1000, DATA_TYPE="datetime"),
                  *[task("Map", [c], "NO_OP") for c in ("id", "customer", "amount", "created")]]})
    assert record["executionStatus"] == "Successful", record
    expected = {c["id"] for c in every if c["customer"] == customer and c["created"] > since}
    assert expected and {r["id"] for r in rows} == expected
    assert set(rows[0]) == {"id", "customer", "amount", "created"}
    queries = [p["query"] for p in fake.state.log.matching("/v1/charges")]
    assert queries and all(q["customer"] == [customer] and q["created[gt]"] == [str(since)] for q in queries)


def test_rate_limited_calls_are_retried(sluice: SluiceServer, fake: FakeStripe, profile: str) -> None:
    client, bucket = sluice.client(), flows.new_bucket(sluice)
    fake.state.log.clear()
    fake.state.throttle_next(2)
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("stripe-429"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "customers"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == fake.state.count("customers")
    assert len(fake.state.log.matching("/v1/customers")) == math.ceil(fake.state.count("customers") / 100) + 2


def test_bad_key_is_refused_and_a_revoked_key_ends_the_run_in_error(sluice: SluiceServer, fake: FakeStripe) -> None:
    client = sluice.client()
    with pytest.raises(ClientError) as refused:
        client.create_connector_profile(**profile_request(unique("stripe-bad"), "sk_test_notarealkey0000"))
    assert "Invalid API Key provided" in str(refused.value) and "notarealkey" not in str(refused.value)

    revoked = "sk_test_revokedlater" + "x" * 8
    fake.state.keys.add(revoked)
    name, bucket = unique("stripe-revoked"), flows.new_bucket(sluice)
    client.create_connector_profile(**profile_request(name, revoked))
    fake.state.keys.discard(revoked)
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("stripe-401"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(name, "charges"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Invalid API Key provided" in message and "revokedlater" not in message
    assert rows == [] and not any((sluice.data_dir / "s3" / bucket).rglob("*.parquet"))


def test_scheduled_incremental_runs_take_each_new_charge_once(sluice: SluiceServer, fake: FakeStripe,
                                                              profile: str) -> None:
    client, bucket, name = sluice.client(), flows.new_bucket(sluice), unique("stripe-inc")
    first_from = virtual_now() - 3600
    client.create_flow(
        flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, first_from),
        sourceFlowConfig=source(profile, "charges", incrementalPullConfig={"datetimeTypeFieldName": "created"}),
        destinationFlowConfigList=flows.s3_parquet_destination(bucket), tasks=MAP_ALL)
    fake.state.log.clear()
    client.start_flow(flowName=name)

    def ids() -> list[str]:
        return [r["id"] for r in flows.published_rows(sluice, bucket, ["id"])]

    seeded = {fake.state.get("charges", i)["id"] for i in range(CHARGES)
              if fake.state.get("charges", i)["created"] > first_from}
    flows.wait_for(lambda: set(ids()) >= seeded, 60)
    added = [fake.state.create("charges", description=f"new-{n}")["id"] for n in range(3)]
    flows.wait_for(lambda: set(ids()) >= seeded | set(added), 60)
    time.sleep(2)  # a few more (empty) windows
    client.stop_flow(flowName=name)
    statuses = {r["executionStatus"] for r in flows.wait_until_idle(client, name)}
    counts = Counter(ids())
    assert set(counts) == seeded | set(added) and set(counts.values()) == {1}, counts.most_common(3)
    assert statuses == {"Successful"}, statuses
    # Every scheduled request asked Stripe only for its window.
    queries = [p["query"] for p in fake.state.log.matching("/v1/charges")]
    assert len(queries) >= 3 and all("created[gt]" in q and "created[lte]" in q for q in queries)


@pytest.mark.parametrize("entity", ["balance_transactions", "coupons", "disputes", "events", "invoices",
                                    "payment_intents", "payouts", "prices", "products", "refunds", "subscriptions"])
def test_every_object_reads_whole(sluice: SluiceServer, fake: FakeStripe, profile: str, entity: str) -> None:
    record, rows = flows.run_to_s3(sluice.client(), sluice, {
        "flowName": unique(f"stripe-{entity.replace('_', '-')}"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, entity),
        "destinationFlowConfigList": flows.s3_parquet_destination(flows.new_bucket(sluice)), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    # Subscriptions are read with status=all: canceled ones included.
    assert {r["id"] for r in rows} == {fake.state.get(entity, i)["id"] for i in range(fake.state.count(entity))}
