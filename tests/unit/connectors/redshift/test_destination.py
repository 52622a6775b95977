"""The Redshift load's SQL, its recovery and the direct connection's outbound check."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.redshift.checks import check_properties
from sluice.connectors.redshift.destination import load_statements, rollback_load
from sluice.connectors.redshift.settings import read_settings
from sluice.connectors.redshift.sql import connect, literal, quote_identifier, statement_error
from sluice.connectors.warehouse import Staged


def test_load_is_one_copy_of_the_stage_folder() -> None:
    staged = Staged("stage", "appflow/exec-1/", ["part-00000.parquet"], ["id", 'we"ird'], 3, 100)
    sqls = load_statements('"public"."orders"', staged, "arn:aws:iam::123456789012:role/it's")
    assert sqls == [
        "COPY \"public\".\"orders\" (\"id\", \"we\"\"ird\") FROM 's3://stage/appflow/exec-1/' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/it''s' FORMAT AS PARQUET",
    ]


def test_quoting() -> None:
    assert literal("a'b") == "'a''b'"
    assert quote_identifier('x"y') == '"x""y"'
    with pytest.raises(ConnectorError):
        literal("a\x00")


def test_statement_errors() -> None:
    assert statement_error('ERROR: relation "x" does not exist').code == "ResourceNotFound"
    assert statement_error("ERROR: permission denied for relation x").code == "InvalidCredentials"
    assert statement_error("ERROR: value too long for type character varying(4)").code == "InvalidArgument"


def test_object_must_name_a_table() -> None:
    check_properties({"object": "public.orders"}, "destination", "f")
    check_properties({"object": "orders"}, "destination", "f")
    for bad in ("", "a.b.c", "public."):
        with pytest.raises(ValueError, match=r"schema\.table"):
            check_properties({"object": bad}, "destination", "f")


def test_direct_connection_obeys_outbound_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", raising=False)
    settings = read_settings({"bucketName": "b", "roleArn": "arn:aws:iam::123456789012:role/r",
                              "databaseUrl": "jdbc:redshift://127.0.0.1:5439/dev"}, {"username": "u", "password": "p"})
    with pytest.raises(ConnectorError) as refused:
        connect(settings)
    assert refused.value.code == "InvalidArgument" and "loopback" in refused.value.message
    metadata = read_settings({"bucketName": "b", "roleArn": "arn:aws:iam::123456789012:role/r",
                              "databaseUrl": "jdbc:redshift://169.254.169.254:5439/dev"}, {})
    with pytest.raises(ConnectorError, match="metadata"):
        connect(metadata)


def test_rollback_of_a_direct_load_needs_nothing() -> None:
    rollback_load({"kind": "warehouse", "redshift": {"direct": True}}, "/nonexistent")


class _Client:
    """A stand-in `redshift-data` client for the recovery logic (statuses as the API words them)."""

    def __init__(self, statuses: dict[str, list[str]]) -> None:
        self.statuses, self.canceled = statuses, []

    def describe_statement(self, Id: str) -> dict[str, Any]:
        queue = self.statuses[Id]
        return {"Id": Id, "Status": queue.pop(0) if len(queue) > 1 else queue[0]}

    def cancel_statement(self, Id: str) -> dict[str, Any]:
        self.canceled.append(Id)
        return {"Status": True}

    def list_statements(self, **params: Any) -> dict[str, Any]:
        return {"Statements": [{"Id": i, "StatementName": params["StatementName"]} for i in self.statuses]}

    def close(self) -> None:
        pass


def test_recovery_cancels_a_running_load(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    client = _Client({"s-1": ["STARTED", "ABORTED"]})
    monkeypatch.setattr("sluice.connectors.redshift.sql.data_api_client", lambda settings, aws: client)
    manifest = {"target": "public.t", "redshift": {"dataApiRoleArn": "arn:aws:iam::123456789012:role/d",
                                                   "region": "us-east-1", "statementName": "sluice-e1"}}
    rollback_load(manifest, "/nonexistent", sleep=lambda s: None)
    assert client.canceled == ["s-1"]
    done = _Client({"s-2": ["FINISHED"]})
    monkeypatch.setattr("sluice.connectors.redshift.sql.data_api_client", lambda settings, aws: done)
    with caplog.at_level(logging.ERROR, logger="sluice.connectors.redshift.destination"):
        rollback_load({**manifest, "redshift": {**manifest["redshift"], "statementId": "s-2"}}, "/x")
    assert done.canceled == []
    assert "s-2 into public.t had committed before the run was recovered" in caplog.text


def test_a_stopped_run_cancels_its_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.connectors.redshift import sql

    client = _Client({"s-3": ["STARTED"]})
    stops = iter([False, True, True])
    monkeypatch.setattr(sql, "data_api_client", lambda settings, aws: client)
    monkeypatch.setattr(sql.time, "sleep", lambda s: None)
    settings = read_settings({"bucketName": "b", "roleArn": "arn:aws:iam::123456789012:role/r",
                              "dataApiRoleArn": "arn:aws:iam::123456789012:role/d", "clusterIdentifier": "c",
                              "databaseName": "dev"}, {"username": "u"})
    session = sql.DataApiSession(settings, None, lambda: next(stops))
    with pytest.raises(ConnectorError, match="stopped"):
        session.wait("s-3", 60)
    assert client.canceled == ["s-3"]
