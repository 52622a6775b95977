"""Writing to a custom connector entity: spooling, WriteData batches, per-record results, fail-fast."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.custom_connector.destination import CustomConnectorDestination, cleanup_staging
from tests.unit.connectors.custom_connector.memory_connector import InProcessInvoker, MemoryConnector, make_profile


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunContext:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    (tmp_path / "s3" / "errors-bucket").mkdir(parents=True)
    return RunContext(flow_name="to-cc", execution_id="exec-1", schema_version=1, started_at=0.0,
                      data_dir=str(tmp_path))


def batch(start: int, count: int, bad: set[int] = frozenset()) -> pa.RecordBatch:  # type: ignore[assignment]
    ids = list(range(start, start + count))
    return pa.RecordBatch.from_pydict({
        "id": [f"A{i}" for i in ids],
        "name": ["bad" if i in bad else f"n{i}" for i in ids],
        "count": [i if i % 3 else None for i in ids],
        "modified": [datetime(2024, 1, 1, tzinfo=UTC)] * count,
    })


def open_destination(connector: MemoryConnector, ctx: RunContext, **props: Any) -> tuple[Any, InProcessInvoker]:
    invoker = InProcessInvoker(connector.handler)
    destination = CustomConnectorDestination(make_profile(connector), {"entityName": "Account", **props}, ctx,
                                             invoker=invoker)
    return destination, invoker


def test_insert_sends_batches_of_the_declared_limit(ctx: RunContext, tmp_path: Path) -> None:
    connector = MemoryConnector()
    destination, invoker = open_destination(connector, ctx)
    destination.write(batch(0, 120))
    destination.write(batch(120, 130))
    assert list((tmp_path / ".sluice-spool" / "exec-1").glob("custom-*.arrow"))
    result = destination.commit()
    writes = invoker.of_type("WriteDataRequest")
    assert [len(w["records"]) for w in writes] == [100, 100, 50]
    first = writes[0]
    assert first["operation"] == "INSERT" and first["allOrNone"] is False and "idFieldNames" not in first
    assert first["connectorContext"]["entityDefinition"]["entity"]["entityIdentifier"] == "Account"
    assert json.loads(first["records"][0]) == {"id": "A0", "name": "n0", "modified": "2024-01-01T00:00:00Z"}
    assert json.loads(first["records"][1])["count"] == 1
    assert result.records_written == 250 and result.put_failures == 0 and result.bytes_written > 0
    assert len(connector.written) == 250
    assert not (tmp_path / ".sluice-spool").exists()


def test_refused_records_go_to_the_error_bucket(ctx: RunContext, tmp_path: Path) -> None:
    connector = MemoryConnector()
    destination, _ = open_destination(connector, ctx, customProperties={"maxBatchSize": "4"},
                                      errorHandlingConfig={"bucketName": "errors-bucket", "bucketPrefix": "cc"})
    destination.write(batch(0, 10, bad={2, 7}))
    result = destination.commit()
    assert result.records_written == 8 and result.put_failures == 2
    lines = (tmp_path / "s3/errors-bucket/cc/to-cc/exec-1/errors.jsonl").read_text().splitlines()
    refused = [json.loads(line) for line in lines]
    assert [r["id"] for r in refused] == ["A2", "A7"]
    assert refused[0]["errorCode"] == "PartialWriteFailure" and refused[0]["errorMessage"] == "name must not be 'bad'"


def test_fail_fast_stops_after_the_request_with_the_first_refusal(ctx: RunContext) -> None:
    connector = MemoryConnector()
    destination, invoker = open_destination(connector, ctx, customProperties={"maxBatchSize": "3"},
                                            errorHandlingConfig={"failOnFirstDestinationError": True})
    destination.write(batch(0, 10, bad={4}))
    with pytest.raises(ConnectorError) as raised:
        destination.commit()
    assert len(invoker.of_type("WriteDataRequest")) == 2
    message = raised.value.message
    assert "failOnFirstDestinationError" in message and "name must not be 'bad'" in message
    assert "5 record(s) were written to Account (first record id R1, last R5) and cannot be rolled back" in message
    assert "1 record(s) were refused" in message and "4 record(s) were not sent" in message
    destination.abort()


def test_update_needs_id_fields_in_the_records(ctx: RunContext) -> None:
    connector = MemoryConnector()
    with pytest.raises(ConnectorError, match="needs idFieldNames"):
        open_destination(connector, ctx, writeOperationType="UPDATE")
    destination, invoker = open_destination(connector, ctx, writeOperationType="UPSERT", idFieldNames=["id"])
    with pytest.raises(ConnectorError, match="'ext'"):
        CustomConnectorDestination(make_profile(connector), {"entityName": "Account", "writeOperationType": "UPSERT",
                                                             "idFieldNames": ["ext"]}, ctx,
                                   invoker=invoker).write(batch(0, 1))
    destination.write(batch(0, 2))
    destination.commit()
    assert invoker.of_type("WriteDataRequest")[0]["idFieldNames"] == ["id"]
    assert connector.written[0]["operation"] == "UPSERT"


def test_operations_the_connector_does_not_support_are_refused(ctx: RunContext) -> None:
    with pytest.raises(ConnectorError, match="DELETE is not one the connector supports") as raised:
        open_destination(MemoryConnector(), ctx, writeOperationType="DELETE", idFieldNames=["id"])
    assert raised.value.code == "InvalidArgument"


def test_a_request_that_fails_as_a_whole_stops_the_commit(ctx: RunContext) -> None:
    connector = MemoryConnector()
    profile = make_profile(connector, {"authenticationType": "OAUTH2", "oauth2": {"accessToken": "expired"}})
    destination = CustomConnectorDestination(profile, {"entityName": "Account"}, ctx,
                                             invoker=InProcessInvoker(connector.handler))
    destination.write(batch(0, 3))
    with pytest.raises(ConnectorError) as raised:
        destination.commit()
    assert raised.value.code == "InvalidCredentials"
    assert raised.value.message.endswith("No record was written to Account.")


def test_abort_and_cleanup_drop_the_spool(ctx: RunContext, tmp_path: Path) -> None:
    connector = MemoryConnector()
    destination, invoker = open_destination(connector, ctx)
    destination.write(batch(0, 5))
    destination.abort()
    assert not (tmp_path / ".sluice-spool").exists() and not invoker.events
    killed, _ = open_destination(connector, ctx)
    killed.write(batch(0, 5))
    killed.spool.close()
    cleanup_staging({}, str(tmp_path), "exec-1")
    assert not (tmp_path / ".sluice-spool").exists()
    cleanup_staging({}, str(tmp_path), "exec-1")  # nothing there is fine


def test_delete_sends_only_the_id_fields(ctx: RunContext) -> None:
    connector = MemoryConnector()
    invoker = InProcessInvoker(connector.handler)
    profile = make_profile(connector, configuration={"supportedWriteOperations": ["INSERT", "DELETE"]})
    destination = CustomConnectorDestination(profile, {"entityName": "Account", "writeOperationType": "DELETE",
                                                       "idFieldNames": ["id"]}, ctx, invoker=invoker)
    destination.write(batch(0, 2))
    assert destination.commit().records_written == 2
    request = invoker.of_type("WriteDataRequest")[0]
    assert request["operation"] == "DELETE" and request["idFieldNames"] == ["id"]
    assert [json.loads(r) for r in request["records"]] == [{"id": "A0"}, {"id": "A1"}]
