"""Glue Data Catalog registration after a successful run (engine layer).

For a flow with `metadataCatalogConfig.glueDataCatalog`, each S3 destination's output is
registered as a Glue table `<tablePrefix>_<flowName>` in `databaseName` (created when missing),
with the run's output schema, file format and S3 location, and one partition per partition
path the run wrote, at the folder the writer used (escaped values included).

Each run moves the table to its own output folder (AppFlow's per-execution folders), so its
partitions move too: existing ones are updated to the new run's folders, and partitions an
earlier run of the flow registered that this run did not write are dropped, so a query never
mixes runs. Partitions outside the flow's own output folder are left alone.

Glue is called as AppFlow does: with the `roleArn` of `glueDataCatalog` assumed through STS by
the flow's account's AWS identity (`RunRequest.aws`; the server's own only for the default
account), never with the server's identity on another account's behalf. boto3 honours
`AWS_ENDPOINT_URL_GLUE` / `AWS_ENDPOINT_URL_STS`. The outcome is reported as AppFlow's
`MetadataCatalogDetail`; a catalog failure is recorded there and does not undo the data the run
already published.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sluice.connectors.aws_identity import resolve
from sluice.connectors.base import ConnectorError, WriteResult
from sluice.connectors.s3.destination import partition_path
from sluice.engine.request import RunRequest

log = logging.getLogger("sluice.engine.catalog")

_SERDES = {
    "PARQUET": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    ),
    "CSV": (
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.apache.hadoop.hive.serde2.OpenCSVSerde",
    ),
    "JSON": (
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.openx.data.jsonserde.JsonSerDe",
    ),
}


def glue_type(arrow_type: Any) -> str:
    """The Glue/Hive column type for an Arrow type."""
    import pyarrow.types as t

    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        return "bigint"
    if t.is_floating(arrow_type):
        return "double"
    if t.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if t.is_timestamp(arrow_type):
        return "timestamp"
    if t.is_date(arrow_type):
        return "date"
    return "string"


def table_name(prefix: str, flow_name: str) -> str:
    """AppFlow's table name: the prefix, an underscore and the flow name, Glue-safe and lower case."""
    return re.sub(r"[^a-z0-9_]", "_", f"{prefix}_{flow_name}".lower())


def _output(message: str, status: str, result: str = "") -> dict[str, str]:
    return {"message": message, "result": result, "status": status}


def glue_client(glue_config: Mapping[str, Any], request: RunRequest, region: str) -> Any:
    """A Glue client as the catalog's `roleArn`, assumed by the flow's account (chained)."""
    identity = resolve(request.aws)
    role_arn = glue_config.get("roleArn")
    if role_arn:
        session = identity.assume(str(role_arn), region, f"sluice-{request.account_id}")
    else:
        session = identity.session(region)
    return session.client("glue", region_name=region)


def register(
    glue_config: Mapping[str, Any],
    request: RunRequest,
    results: Sequence[tuple[str, WriteResult]],
    partition_keys: Sequence[str],
    region: str,
) -> list[dict[str, Any]]:
    """Create or update the Glue table (and partitions) for each S3 destination's output."""
    details: list[dict[str, Any]] = []
    name = table_name(glue_config["tablePrefix"], request.flow_name)
    glue: Any = None
    for index, (connector_type, written) in enumerate(results):
        if connector_type != "S3" or not written.location or written.schema is None:
            continue
        destination = request.config["destinationFlowConfigList"][index]
        s3_props = destination["destinationConnectorProperties"].get("S3") or {}
        output_format = s3_props.get("s3OutputFormatConfig") or {}
        file_type = output_format.get("fileType") or "JSON"
        input_format, output_fmt, serde = _SERDES[file_type]
        columns = [
            {"Name": f.name, "Type": glue_type(f.type)} for f in written.schema if f.name not in partition_keys
        ]
        storage = {
            "Columns": columns,
            "Location": written.location,
            "InputFormat": input_format,
            "OutputFormat": output_fmt,
            "SerdeInfo": {"SerializationLibrary": serde},
        }
        table_input = {
            "Name": name,
            "StorageDescriptor": storage,
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in partition_keys],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": file_type.lower(), "appflow:flowName": request.flow_name},
        }
        detail: dict[str, Any] = {"catalogType": "GLUE", "tableName": name}
        try:
            if glue is None:
                glue = glue_client(glue_config, request, region)
            with contextlib.suppress(glue.exceptions.AlreadyExistsException):
                glue.create_database(DatabaseInput={"Name": glue_config["databaseName"]})
            try:
                glue.create_table(DatabaseName=glue_config["databaseName"], TableInput=table_input)
                detail["tableRegistrationOutput"] = _output(f"Created table {name}", "Successful", name)
            except glue.exceptions.AlreadyExistsException:
                glue.update_table(DatabaseName=glue_config["databaseName"], TableInput=table_input)
                detail["tableRegistrationOutput"] = _output(f"Updated table {name}", "Successful", name)
            if partition_keys:
                flow_folder = _flow_folder(s3_props, request.flow_name)
                count = register_partitions(
                    glue, glue_config["databaseName"], name, storage, partition_keys, written, flow_folder
                )
                if written.partitions:
                    detail["partitionRegistrationOutput"] = _output(f"Registered {count} partition(s)", "Successful")
        except ConnectorError as exc:  # the account's identity was refused before any call
            log.warning("run %s: Glue registration of %s refused: %s", request.execution_id, name, exc.message)
            detail["tableRegistrationOutput"] = _output(f"Glue registration failed: {exc.message}", "Error")
        except Exception as exc:  # the data is published; the catalog outcome is reported, not raised
            log.warning("run %s: Glue registration of %s failed: %s", request.execution_id, name, exc)
            detail["tableRegistrationOutput"] = _output(f"Glue registration failed: {exc}", "Error")
        details.append(detail)
    return details


def _flow_folder(s3_props: Mapping[str, Any], flow_name: str) -> str:
    """`s3://bucket/<bucketPrefix>/<flowName>/`: everything any run of the flow writes is below it."""
    prefix = str(s3_props.get("bucketPrefix") or "").strip("/")
    path = f"{prefix}/{flow_name}" if prefix else flow_name
    return f"s3://{s3_props.get('bucketName')}/{path}/"


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _failed(errors: Sequence[Mapping[str, Any]], allowed: str = "") -> list[Mapping[str, Any]]:
    """The Glue batch errors whose code is `allowed`; raises on the first error of any other code."""
    others = []
    for error in errors:
        detail = error.get("ErrorDetail", {})
        if detail.get("ErrorCode") == allowed:
            others.append(error)
            continue
        raise RuntimeError(detail.get("ErrorMessage") or "partition registration failed")
    return others


def register_partitions(
    glue: Any, database: str, table: str, storage: Mapping[str, Any], keys: Sequence[str],
    written: WriteResult, flow_folder: str,
) -> int:
    """Point the table's partitions at this run's folders; returns how many this run wrote.

    New partitions are created, ones an earlier run registered are updated to this run's folder
    (Glue refuses to create them again), and ones under `flow_folder` that this run did not write
    and not under this run's location are deleted: the table now describes this run's output only.
    """
    locations = written.partition_locations
    entries = []
    for index, values in enumerate(written.partitions):
        if index < len(locations):
            location = locations[index]
        else:  # a writer that does not report its folders: the S3 writer's layout
            location = str(written.location).rstrip("/") + "/" + partition_path((k, values[k]) for k in keys)
        entries.append({"Values": [values[k] for k in keys], "StorageDescriptor": {**storage, "Location": location}})
    existing: list[dict[str, Any]] = []
    for chunk in _chunks(entries, 100):
        response = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=chunk)
        errors = _failed(response.get("Errors", []), "AlreadyExistsException")
        taken = {tuple(error.get("PartitionValues") or ()) for error in errors}
        existing += [entry for entry in chunk if tuple(entry["Values"]) in taken]
    for chunk in _chunks(existing, 100):
        response = glue.batch_update_partition(
            DatabaseName=database, TableName=table,
            Entries=[{"PartitionValueList": entry["Values"], "PartitionInput": entry} for entry in chunk],
        )
        _failed(response.get("Errors", []))
    written_values = {tuple(entry["Values"]) for entry in entries}
    stale = []
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        for partition in page.get("Partitions", []):
            location = str((partition.get("StorageDescriptor") or {}).get("Location") or "")
            # Folders of earlier runs only: with a shared folder (no execution-id level) the old
            # partitions sit under this run's location and still hold data.
            moved = location.startswith(flow_folder) and not location.startswith(str(written.location))
            if tuple(partition["Values"]) not in written_values and moved:
                stale.append({"Values": partition["Values"]})
    for chunk in _chunks(stale, 25):
        response = glue.batch_delete_partition(DatabaseName=database, TableName=table, PartitionsToDelete=chunk)
        _failed(response.get("Errors", []))
    return len(entries)
