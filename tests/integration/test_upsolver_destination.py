"""Upsolver as a destination, over HTTP with boto3: S3 -> Upsolver through the S3 writer, and
CreateFlow refusing a bucket Upsolver would not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.builders import unique
from tests.support.aws_destinations import as_text, every_task, expected, source_rows
from tests.support.flows import csv_bucket, published_rows, s3_csv_source, start_and_wait
from tests.support.server import SluiceServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    sluice = SluiceServer(data_dir=tmp_path_factory.mktemp("upsolver"), workers=1,
                          extra_env={"SLUICE_S3_BACKEND": "local"}).start()
    yield sluice
    sluice.stop()
    assert "Traceback" not in sluice.log(), sluice.log()[-4000:]


def _flow(name: str, source: dict[str, Any], bucket: str, **output: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": {"triggerType": "OnDemand"}, "sourceFlowConfig": source,
            "destinationFlowConfigList": [{"connectorType": "Upsolver", "destinationConnectorProperties": {"Upsolver": {
                "bucketName": bucket, "bucketPrefix": "appflow",
                "s3OutputFormatConfig": {"fileType": "PARQUET", "prefixConfig": {"prefixType": "PATH",
                                                                                 "prefixFormat": "DAY"}, **output}}}}],
            "tasks": every_task()}


def _upsolver_bucket(server: SluiceServer) -> str:
    bucket = unique("upsolver-appflow")
    (server.data_dir / "s3" / bucket).mkdir(parents=True)
    return bucket


def test_s3_to_upsolver_row_exact(server: SluiceServer) -> None:
    client, name = server.client(), unique("to-upsolver")
    rows = source_rows(100_000)
    bucket = _upsolver_bucket(server)
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, rows)), bucket))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    files = [p for p in (server.data_dir / "s3" / bucket).rglob("*.parquet")]
    assert files and all(p.relative_to(server.data_dir / "s3" / bucket).parts[:2] == ("appflow", name) for p in files)
    # prefixConfig PATH/DAY: yyyy/MM/dd folders after the flow name, then the execution id.
    assert all(p.relative_to(server.data_dir / "s3" / bucket).parts[5] == record["executionId"] for p in files)
    out = sorted((as_text(r) for r in published_rows(server, bucket)), key=lambda r: int(r["id"]))
    assert out == expected(rows)


def test_a_bucket_upsolver_does_not_own_is_refused(server: SluiceServer) -> None:
    client, name = server.client(), unique("to-upsolver")
    source = s3_csv_source(csv_bucket(server, source_rows(3)))
    (server.data_dir / "s3" / "my-own-bucket-1234").mkdir(parents=True, exist_ok=True)
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.create_flow(**_flow(name, source, "my-own-bucket-1234"))
    assert "upsolver-appflow" in str(refused.value)
