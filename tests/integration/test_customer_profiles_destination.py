"""Amazon Connect Customer Profiles as a destination, over HTTP with boto3.

moto does not implement Customer Profiles, so the service is `tests/fakes/customer_profiles` (https,
SigV4 checked against the keys Sluice's server identity signs with). CreateFlow and UpdateFlow
check the domain and object type; S3 -> Customer Profiles runs with every task type, row-exact;
refused objects (no unique key, too long) are counted while the rest are written (the model gives
this destination no errorHandlingConfig); 429s are retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.customer_profiles.server import FakeCustomerProfiles
from tests.integration.builders import unique
from tests.support.aws_destinations import as_text, every_task, expected, source_rows
from tests.support.flows import csv_bucket, s3_csv_source, start_and_wait
from tests.support.server import SluiceServer
from tests.support.tls import certificates

ROW_TYPE: dict[str, Any] = {
    "Description": "Rows from an S3 flow",
    "AllowProfileCreation": True,
    "Fields": {"id": {"Source": "_source.id", "Target": "_profile.AccountNumber", "ContentType": "STRING"}},
    "Keys": {"_row": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]},
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCustomerProfiles]:
    with FakeCustomerProfiles() as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake: FakeCustomerProfiles) -> Iterator[SluiceServer]:
    env = {"SLUICE_S3_BACKEND": "local", "AWS_ENDPOINT_URL_CUSTOMER_PROFILES": fake.url,
           "AWS_ACCESS_KEY_ID": fake.access_key, "AWS_SECRET_ACCESS_KEY": fake.secret_key,
           "AWS_DEFAULT_REGION": "us-east-1",
           # botocore trusts its own CA bundle unless told: the fake's certificate comes from the test CA.
           "AWS_CA_BUNDLE": str(certificates().ca_file)}
    sluice = SluiceServer(data_dir=tmp_path_factory.mktemp("profiles"), workers=1, extra_env=env).start()
    yield sluice
    sluice.stop()
    log = sluice.log()
    assert "Traceback" not in log, log[-4000:]
    assert fake.secret_key not in log


def _domain(fake: FakeCustomerProfiles) -> str:
    name = unique("domain")
    fake.state.create_domain(name, {"DefaultExpirationDays": 30})
    fake.state.put_object_type(name, "Row", ROW_TYPE)
    return name


def _flow(name: str, source: dict[str, Any], domain: str, object_type: str,
          tasks: list[dict[str, Any]]) -> dict[str, Any]:
    props: dict[str, Any] = {"domainName": domain, "objectTypeName": object_type}
    return {"flowName": name, "triggerConfig": {"triggerType": "OnDemand"}, "sourceFlowConfig": source,
            "destinationFlowConfigList": [{"connectorType": "CustomerProfiles",
                                           "destinationConnectorProperties": {"CustomerProfiles": props}}],
            "tasks": tasks}


def _map_all() -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}}]


def test_create_and_update_flow_check_the_domain_and_object_type(server: SluiceServer,
                                                                 fake: FakeCustomerProfiles) -> None:
    client, name = server.client(), unique("cp")
    source = s3_csv_source(csv_bucket(server, source_rows(3)))
    with pytest.raises(client.exceptions.ResourceNotFoundException) as no_domain:
        client.create_flow(**_flow(name, source, "no-such-domain", "Row", _map_all()))
    assert "domain no-such-domain does not exist" in str(no_domain.value)
    domain = _domain(fake)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as no_type:
        client.create_flow(**_flow(name, source, domain, "Nope", _map_all()))
    assert f"domain {domain} has no object type Nope" in str(no_type.value)
    without_type = _flow(name, source, domain, "Row", _map_all())
    del without_type["destinationFlowConfigList"][0]["destinationConnectorProperties"]["CustomerProfiles"][
        "objectTypeName"]
    with pytest.raises(client.exceptions.ValidationException) as no_type_named:
        client.create_flow(**without_type)
    assert "objectTypeName is required" in str(no_type_named.value)
    client.create_flow(**_flow(name, source, domain, "Row", _map_all()))
    update = {k: v for k, v in _flow(name, source, domain, "Missing", _map_all()).items()}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_flow(**update)
    assert client.describe_flow(flowName=name)["destinationFlowConfigList"][0]["destinationConnectorProperties"][
        "CustomerProfiles"]["objectTypeName"] == "Row"
    assert fake.state.requests.matching(f"/domains/{domain}/object-types/Row")


def test_every_task_type_row_exact_with_throttling(server: SluiceServer, fake: FakeCustomerProfiles) -> None:
    client, name, domain = server.client(), unique("cp-tasks"), _domain(fake)
    rows = source_rows(5_000)
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, rows)), domain, "Row", every_task()))
    fake.state.throttle_next(3)  # 429s on the first puts: botocore's standard retries absorb them
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 0
    stored = sorted((as_text(o) for o in fake.state.objects(domain, "Row")), key=lambda r: int(r["id"]))
    assert stored == expected(rows)


def _bad_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [dict(r) for r in source_rows(30)]
    rows[4]["id"] = None  # no value for the object type's unique key: the service refuses it
    rows[9]["note"] = "x" * 260_000  # over PutProfileObject's 256,000 characters
    return rows


def test_refused_objects_are_counted_and_the_rest_written(server: SluiceServer, fake: FakeCustomerProfiles) -> None:
    # CustomerProfilesDestinationProperties has no errorHandlingConfig: refusals are counted, not kept.
    client, name, domain = server.client(), unique("cp-bad"), _domain(fake)
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, _bad_rows())), domain, "Row", _map_all()))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 2
    assert sorted(int(o["id"]) for o in fake.state.objects(domain)) == [i for i in range(30) if i not in (4, 9)]
