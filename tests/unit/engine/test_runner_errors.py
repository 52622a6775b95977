"""sluice.engine.runner: a destination's failure is reported as the destination's, a source's as the source's."""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import Any

import pytest

from sluice.connectors.base import ProfileView
from sluice.connectors.s3.destination import S3Destination
from sluice.connectors.s3.local import LocalStorage
from sluice.engine.runner import RunFailed, RunRequest, run_execution

MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}}


def request(data_dir: Path, source_bucket: str = "src") -> RunRequest:
    config = {
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source_bucket, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": "dst", "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "CSV"}}}}],
        "tasks": [MAP_ALL],
    }
    return RunRequest(
        account_id="123456789012", region="us-east-1", execution_id="run-1", flow_name="f", schema_version=1,
        config=config, source_profile=ProfileView(name=None, connector_type="S3"),
        destination_profiles=(ProfileView(name=None, connector_type="S3"),), started_at=time.time(),
        data_dir=str(data_dir),
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    (tmp_path / "s3" / "src" / "in").mkdir(parents=True)
    (tmp_path / "s3" / "src" / "in" / "rows.csv").write_text("id,name\n1,ada\n2,grace\n")
    (tmp_path / "s3" / "dst").mkdir(parents=True)
    return tmp_path


def test_a_full_disk_is_the_destinations_failure(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(self: LocalStorage, bucket: str, key: str) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(LocalStorage, "open_output_stream", no_space)
    with pytest.raises(RunFailed) as failed:
        run_execution(request(data_dir))
    message = str(failed.value)
    assert message.startswith("The destination S3 failed (ServerError): "), message
    assert "ENOSPC" in message and "s3://dst/" in message


def test_an_os_error_a_writer_lets_through_is_the_destinations(data_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def too_many(self: S3Destination, batch: Any, partition: Any = None) -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(S3Destination, "write", too_many)
    with pytest.raises(RunFailed) as failed:
        run_execution(request(data_dir))
    assert str(failed.value) == "The destination S3 failed (EMFILE): [Errno 24] Too many open files"


def test_a_source_failure_stays_the_sources(data_dir: Path) -> None:
    with pytest.raises(RunFailed) as failed:
        run_execution(request(data_dir, source_bucket="absent"))
    assert str(failed.value).startswith("The source S3 failed (ResourceNotFound): ")
