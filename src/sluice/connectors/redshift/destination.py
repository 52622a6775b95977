"""Loading a run's records into a Redshift table (connectors layer), the way AppFlow does.

`WarehouseDestination` fits the records to the table's columns and stages them as Parquet in
`intermediateBucketName`/`bucketPrefix`; `_load` then runs, as ONE transaction:

    COPY <table> (<cols>) FROM 's3://<bucket>/<folder>' IAM_ROLE '<roleArn>' FORMAT AS PARQUET;

(a Data API `BatchExecuteStatement`, which the Data API runs as one transaction, or the statement
and one COMMIT on a direct connection). Redshift reads the staged objects itself, as `roleArn`;
columns the flow does not map take their defaults. COPY is transactional: when it fails nothing
of it is in the table. AppFlow offers Redshift INSERT only (`RedshiftDestinationProperties` has
no write operation), so there is no staging table to merge from: copying into a temporary table
and then `INSERT ... SELECT` would write every row twice for the same result (measured: the
INSERT alone cost as much as a sixth of a 1M-row run on the stand-in).

Crash recovery: the manifest handed to `RunContext.before_publish` carries the Data API target
and the statement's name (`sluice-<executionId>`), then its id once submitted, so
`rollback_destination` can cancel a load still running after Sluice was killed. A direct
connection needs nothing: Redshift rolls back the transaction of a connection that drops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.redshift.metadata import table_columns
from sluice.connectors.redshift.settings import RedshiftSettings, read_settings
from sluice.connectors.redshift.sql import (
    ENDED,
    call_data_api,
    cancel_statement,
    literal,
    open_session,
    quote_identifier,
)
from sluice.connectors.s3.storage import open_storage
from sluice.connectors.warehouse import Column, Staged, WarehouseDestination

log = logging.getLogger(__name__)

_TEXT_TYPES = ("char", "varchar")


class RedshiftDestination(WarehouseDestination):
    """`Destination` for `RedshiftDestinationProperties` (object = `schema.table`)."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> None:
        self.settings = read_settings(profile.properties, profile.credentials)
        if not self.settings.copy_role_arn:
            raise ConnectorError("InvalidArgument", "the Redshift profile names no roleArn for COPY to read the stage")
        aws = ctx.aws if ctx.aws is not None else profile.aws
        self.session = open_session(self.settings, aws, ctx.should_stop)
        try:
            schema, table, found = table_columns(self.session, str(props.get("object") or ""))
            self.table = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            self.statement_name = f"sluice-{ctx.execution_id}"
            self._publish = ctx.before_publish
            self._manifest: dict[str, Any] = {}
            columns = [Column(c.name, c.type.arrow, c.type.sql,
                              c.type.length if c.type.name in _TEXT_TYPES else None,
                              length_in_bytes=True, nullable=c.nullable) for c in found]
            super().__init__(
                replace(ctx, before_publish=self._record if ctx.before_publish is not None else None),
                error_config=props.get("errorHandlingConfig"),
                storage=open_storage(ctx.data_dir, ctx.aws, ctx.buckets),
                bucket=str(props.get("intermediateBucketName") or ""), prefix=props.get("bucketPrefix"),
                target=f"{schema}.{table}", columns=columns,
            )
        except BaseException:
            self.session.close()
            raise

    def _record(self, manifest: Mapping[str, Any]) -> None:
        """`before_publish` with what recovery needs to stop a load that outlived Sluice."""
        assert self._publish is not None
        self._manifest = {**manifest, "redshift": recovery_info(self.settings, self.statement_name)}
        self._publish(self._manifest)

    def _submitted(self, statement_id: str) -> None:
        if self._publish is not None and self._manifest:
            self._manifest = {**self._manifest,
                              "redshift": {**self._manifest["redshift"], "statementId": statement_id}}
            self._publish(self._manifest)

    def _load(self, staged: Staged) -> None:
        self.session.transaction(load_statements(self.table, staged, self.settings.copy_role_arn),
                                 name=self.statement_name, on_submitted=self._submitted)

    def _release(self) -> None:
        self.session.close()


def load_statements(table: str, staged: Staged, role_arn: str) -> list[str]:
    """The load's SQL: one COPY of the staged columns from the run's stage folder."""
    cols = ", ".join(quote_identifier(c) for c in staged.columns)
    return [f"COPY {table} ({cols}) FROM {literal(staged.url)} IAM_ROLE {literal(role_arn)} FORMAT AS PARQUET"]


def recovery_info(settings: RedshiftSettings, statement_name: str) -> dict[str, Any]:
    """What `rollback_destination` needs (no secret): the Data API target and the statement's name."""
    if not settings.uses_data_api:
        return {"direct": True}
    return {"dataApiRoleArn": settings.data_api_role_arn, "region": settings.region,
            "target": settings.data_api_target(), "statementName": statement_name}


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RedshiftDestination:
    """`ConnectorSpec.open_destination`."""
    return RedshiftDestination(profile, props, ctx)


def rollback_load(manifest: Mapping[str, Any], data_dir: str, aws: Any = None,
                  sleep: Callable[[float], None] = time.sleep) -> None:
    """`ConnectorSpec.rollback_destination`: cancel a Data API load a killed run left running.

    A load that already FINISHED cannot be taken back (Redshift committed it): that is logged as
    an error, and the run is recorded as interrupted like any other.
    """
    info = manifest.get("redshift") or {}
    if not info.get("dataApiRoleArn"):
        return  # a direct connection's transaction died with the connection
    settings = RedshiftSettings(bucket="", copy_role_arn="", data_api_role_arn=str(info["dataApiRoleArn"]),
                                region=str(info.get("region") or "us-east-1"))
    from sluice.connectors.redshift.sql import data_api_client

    client = data_api_client(settings, aws)
    try:
        ids = [str(info["statementId"])] if info.get("statementId") else _named(client, str(info["statementName"]))
        finished: list[str] = []
        for statement_id in ids:
            status = _stop(client, statement_id, sleep)
            if status == "FINISHED":
                finished.append(statement_id)
        if finished:
            # Redshift cannot take a commit back; raising would only keep the run InProgress for
            # ever (recovery retries until every rollback succeeds). Say it loudly and let the run
            # end interrupted.
            log.error("the Redshift load %s into %s had committed before the run was recovered: its rows stay "
                      "in the table", ", ".join(finished), manifest.get("target"))
    finally:
        client.close()


def _named(client: Any, name: str) -> list[str]:
    answer = call_data_api(client, "ListStatements", StatementName=name, Status="ALL", MaxResults=100)
    return [str(s["Id"]) for s in answer.get("Statements", []) if s.get("StatementName") == name]


def _stop(client: Any, statement_id: str, sleep: Callable[[float], None]) -> str:
    """Cancel the statement unless it ended; its final status."""
    status = str(call_data_api(client, "DescribeStatement", Id=statement_id).get("Status"))
    if status in ENDED:
        return status
    cancel_statement(client, statement_id)
    for _ in range(120):
        status = str(call_data_api(client, "DescribeStatement", Id=statement_id).get("Status"))
        if status in ENDED:
            return status
        sleep(0.5)
    raise ConnectorError("ServerError", f"the Redshift statement {statement_id} did not stop after CancelStatement")
