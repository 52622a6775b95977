"""The profile's external stage (connectors layer): where it points, and the profile check.

AppFlow loads Snowflake through a named external stage (the profile's `stage`, written
`<database>.<schema>.<stage name>`) whose URL is the profile's `bucketName` / `bucketPrefix`
(https://docs.aws.amazon.com/appflow/latest/userguide/snowflake.html). A run stages its Parquet
parts in the destination's `intermediateBucketName` under `bucketPrefix/<executionId>/`, and
`COPY INTO` reads them as `@<stage>/<that folder relative to the stage's URL>/`; so the staging
folder must lie under the stage's URL, which `relative_folder` checks.

`check_profile` (Create/UpdateConnectorProfile) logs in, confirms the warehouse
(`connection.use_warehouse`) and that the stage exists, is an external S3 stage and points at the
profile's bucket and prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.snowflake.connection import (
    connect,
    display,
    qualified,
    run_dicts,
    split_name,
)

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection


@dataclass(frozen=True, slots=True)
class Stage:
    """A named external stage: its name parts and the S3 location it reads."""

    database: str
    schema: str
    name: str
    bucket: str
    prefix: str  # "" or ending with "/"

    @property
    def sql_name(self) -> str:
        """`"DB"."SCHEMA"."STAGE"` as COPY's `@` reference takes it."""
        return qualified(self.database, self.schema, self.name)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def stage_parts(props: Mapping[str, Any]) -> tuple[str, str, str]:
    """The profile's `stage` as (database, schema, name)."""
    parts = split_name(str(props.get("stage") or ""), "the stage")
    if len(parts) != 3:
        raise ConnectorError("InvalidArgument", f"the stage {props.get('stage')!r} must be written "
                             "<database>.<schema>.<stage name>")
    return parts[0], parts[1], parts[2]


def find_stage(connection: SnowflakeConnection, props: Mapping[str, Any]) -> Stage:
    """The profile's stage as Snowflake describes it (`ResourceNotFound` naming it when missing)."""
    database, schema, name = stage_parts(props)
    shown = display(database, schema, name)
    pattern = name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%").replace("'", "''")
    rows = run_dicts(connection, f"SHOW STAGES LIKE '{pattern}' IN SCHEMA {qualified(database, schema)}",
                     f"the stage {shown}")
    row = next((r for r in rows if str(r.get("name")) == name), None)
    if row is None:
        raise ConnectorError("ResourceNotFound", f"the Snowflake stage {shown} does not exist or this user may "
                             "not use it")
    url = str(row.get("url") or "")
    if str(row.get("type") or "").upper().startswith("INTERNAL") or not url.lower().startswith("s3://"):
        raise ConnectorError("InvalidArgument", f"the Snowflake stage {shown} must be an external stage on Amazon S3 "
                             f"(its URL is {url or 'empty: an internal stage'})")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    return Stage(database, schema, name, bucket, f"{prefix}/" if prefix else "")


def check_stage_location(stage: Stage, props: Mapping[str, Any]) -> None:
    """The stage must read the profile's `bucketName` / `bucketPrefix`."""
    bucket = str(props.get("bucketName") or "")
    prefix = str(props.get("bucketPrefix") or "").strip("/")
    expected = f"s3://{bucket}/{prefix + '/' if prefix else ''}"
    if stage.url != expected:
        shown = display(stage.database, stage.schema, stage.name)
        raise ConnectorError("InvalidArgument", f"the Snowflake stage {shown} reads {stage.url}, but the profile's "
                             f"bucketName and bucketPrefix name {expected}")


def relative_folder(stage: Stage, bucket: str, folder: str) -> str:
    """The staging folder `s3://bucket/folder` as a path under the stage's URL (`ConnectorError` when outside)."""
    if bucket != stage.bucket or not folder.startswith(stage.prefix):
        raise ConnectorError(
            "InvalidArgument",
            f"the run stages its files in s3://{bucket}/{folder}, which the Snowflake stage "
            f"{display(stage.database, stage.schema, stage.name)} ({stage.url}) cannot read: set the destination's "
            f"intermediateBucketName to {stage.bucket} and its bucketPrefix to a path under "
            f"'{stage.prefix or '/'}'")
    return folder[len(stage.prefix):]


def check_profile(profile: ProfileView) -> Mapping[str, Any]:
    """`ConnectorSpec.check_profile`: log in, use the warehouse, find the stage; the credentials as given."""
    connection = connect(profile)
    try:
        stage = find_stage(connection, profile.properties)
        check_stage_location(stage, profile.properties)
    finally:
        connection.close()
    return profile.credentials
