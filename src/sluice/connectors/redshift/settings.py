"""A Redshift connector profile read into connection settings (connectors layer).

`RedshiftConnectorProfileProperties` names the database two ways: `databaseUrl`
(`jdbc:redshift://host:port/database`, for a direct connection) and the Data API's
`clusterIdentifier` or `workgroupName` (+ `isRedshiftServerless`) with `databaseName`; with
`dataApiRoleArn` set, Sluice talks SQL through the Data API as that role, otherwise it connects
to `databaseUrl` with the profile's username and password. `roleArn` is the role Redshift itself
assumes to read the staged files (`COPY ... IAM_ROLE`), never one Sluice assumes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.connectors.base import ConnectorError

_JDBC = re.compile(r"^jdbc:redshift(?::iam)?://(?P<host>\[[^\]]+\]|[^:/?;]+)(?::(?P<port>\d{1,5}))?"
                   r"(?:/(?P<database>[^?;]*))?(?:[?;].*)?$", re.IGNORECASE)
# <cluster>.<id>.<region>.redshift.amazonaws.com, <workgroup>.<account>.<region>.redshift-serverless...
_REGION_IN_HOST = re.compile(r"\.(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)\.redshift(?:-serverless)?\.amazonaws\.com"
                             r"(?:\.cn)?$", re.IGNORECASE)
DEFAULT_PORT = 5439


@dataclass(frozen=True, slots=True)
class RedshiftSettings:
    """Where a profile's database is and how Sluice reaches it. Secrets stay out of `repr`."""

    bucket: str
    copy_role_arn: str
    host: str | None = None
    port: int = DEFAULT_PORT
    database: str | None = None
    data_api_role_arn: str | None = None
    cluster_identifier: str | None = None
    workgroup_name: str | None = None
    serverless: bool = False
    region: str = "us-east-1"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def uses_data_api(self) -> bool:
        """True when SQL goes through the Redshift Data API (the profile names `dataApiRoleArn`)."""
        return bool(self.data_api_role_arn)

    def data_api_target(self) -> dict[str, str]:
        """The Data API's cluster/workgroup, database and user parameters (no secret among them)."""
        if not self.database:
            raise ConnectorError("InvalidArgument", "the Redshift profile names no database (databaseName)")
        if self.serverless or (self.workgroup_name and not self.cluster_identifier):
            if not self.workgroup_name:
                raise ConnectorError("InvalidArgument", "a Redshift Serverless profile needs workgroupName")
            return {"WorkgroupName": self.workgroup_name, "Database": self.database}
        if not self.cluster_identifier:
            raise ConnectorError("InvalidArgument", "a Redshift profile using the Data API needs clusterIdentifier "
                                 "(or workgroupName with isRedshiftServerless)")
        if not self.username:
            raise ConnectorError("InvalidArgument", "the Redshift profile's credentials name no username (the "
                                 "Data API's database user)")
        return {"ClusterIdentifier": self.cluster_identifier, "Database": self.database, "DbUser": self.username}


def parse_database_url(url: str) -> tuple[str, int, str | None]:
    """`jdbc:redshift://host:port/db` -> (host, port, database); `InvalidArgument` otherwise."""
    match = _JDBC.match((url or "").strip())
    if match is None:
        raise ConnectorError("InvalidArgument", "databaseUrl must look like jdbc:redshift://host:port/database")
    port = int(match["port"] or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise ConnectorError("InvalidArgument", "databaseUrl names an invalid port")
    return match["host"].strip("[]"), port, (match["database"] or None)


def read_settings(properties: Mapping[str, Any], credentials: Mapping[str, Any]) -> RedshiftSettings:
    """The settings a profile's properties and credentials (the Redshift members) describe."""
    host: str | None = None
    port, database = DEFAULT_PORT, None
    if properties.get("databaseUrl"):
        host, port, database = parse_database_url(str(properties["databaseUrl"]))
    database = str(properties.get("databaseName") or "") or database
    region_match = _REGION_IN_HOST.search(host or "")
    region = (region_match["region"].lower() if region_match else None) or os.environ.get("AWS_REGION") \
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    settings = RedshiftSettings(
        bucket=str(properties.get("bucketName") or ""),
        copy_role_arn=str(properties.get("roleArn") or ""),
        host=host, port=port, database=database,
        data_api_role_arn=str(properties.get("dataApiRoleArn") or "") or None,
        cluster_identifier=str(properties.get("clusterIdentifier") or "") or None,
        workgroup_name=str(properties.get("workgroupName") or "") or None,
        serverless=bool(properties.get("isRedshiftServerless")),
        region=region,
        username=str(credentials.get("username") or "") or None,
        password=str(credentials.get("password") or "") or None,
    )
    if not settings.uses_data_api and not settings.host:
        raise ConnectorError("InvalidArgument", "the Redshift profile needs databaseUrl (a direct connection) or "
                             "dataApiRoleArn (the Redshift Data API)")
    return settings
