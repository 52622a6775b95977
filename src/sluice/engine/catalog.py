"""Glue Data Catalog registration after a successful run (engine layer).

For a flow with `metadataCatalogConfig.glueDataCatalog`, each S3 destination's output is
registered as a Glue table `<tablePrefix>_<flowName>` in `databaseName` (created when missing),
with the run's output schema, file format and S3 location, and one partition per partition
path the run wrote. Glue is reached through boto3, which honours `AWS_ENDPOINT_URL_GLUE`.
The outcome is reported as AppFlow's `MetadataCatalogDetail`; a catalog failure is recorded
there and does not undo the data the run already published.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sluice.connectors.base import WriteResult
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


def register(
    glue_config: Mapping[str, Any],
    request: RunRequest,
    results: Sequence[tuple[str, WriteResult]],
    partition_keys: Sequence[str],
    region: str,
) -> list[dict[str, Any]]:
    """Create or update the Glue table (and partitions) for each S3 destination's output."""
    import boto3

    details: list[dict[str, Any]] = []
    name = table_name(glue_config["tablePrefix"], request.flow_name)
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
            glue = boto3.client("glue", region_name=region)
            with contextlib.suppress(glue.exceptions.AlreadyExistsException):
                glue.create_database(DatabaseInput={"Name": glue_config["databaseName"]})
            try:
                glue.create_table(DatabaseName=glue_config["databaseName"], TableInput=table_input)
                detail["tableRegistrationOutput"] = _output(f"Created table {name}", "Successful", name)
            except glue.exceptions.AlreadyExistsException:
                glue.update_table(DatabaseName=glue_config["databaseName"], TableInput=table_input)
                detail["tableRegistrationOutput"] = _output(f"Updated table {name}", "Successful", name)
            if partition_keys and written.partitions:
                _register_partitions(glue, glue_config["databaseName"], name, storage, partition_keys, written)
                detail["partitionRegistrationOutput"] = _output(
                    f"Registered {len(written.partitions)} partition(s)", "Successful"
                )
        except Exception as exc:  # the data is published; the catalog outcome is reported, not raised
            log.warning("run %s: Glue registration of %s failed: %s", request.execution_id, name, exc)
            detail["tableRegistrationOutput"] = _output(f"Glue registration failed: {exc}", "Error")
        details.append(detail)
    return details


def _register_partitions(
    glue: Any, database: str, table: str, storage: Mapping[str, Any], keys: Sequence[str], written: WriteResult
) -> None:
    entries = []
    for values in written.partitions:
        location = written.location.rstrip("/") + "/" + "/".join(f"{k}={values[k]}" for k in keys) + "/"  # type: ignore[union-attr]
        entries.append({"Values": [values[k] for k in keys], "StorageDescriptor": {**storage, "Location": location}})
    for start in range(0, len(entries), 100):
        response = glue.batch_create_partition(
            DatabaseName=database, TableName=table, PartitionInputList=entries[start:start + 100]
        )
        for error in response.get("Errors", []):
            if error.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException":
                raise RuntimeError(error.get("ErrorDetail", {}).get("ErrorMessage", "partition registration failed"))
