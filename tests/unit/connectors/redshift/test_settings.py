"""Reading a Redshift profile (connectors/redshift/settings.py)."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.redshift.settings import parse_database_url, read_settings

PROPS = {"bucketName": "stage", "roleArn": "arn:aws:iam::123456789012:role/copy"}


def test_database_url_forms() -> None:
    assert parse_database_url("jdbc:redshift://ex.abc.us-west-2.redshift.amazonaws.com:5439/dev") == (
        "ex.abc.us-west-2.redshift.amazonaws.com", 5439, "dev")
    assert parse_database_url("jdbc:redshift://10.0.0.5/analytics?ssl=true") == ("10.0.0.5", 5439, "analytics")
    assert parse_database_url("jdbc:redshift:iam://[::1]:6000/db") == ("::1", 6000, "db")
    for bad in ("postgres://h/db", "jdbc:redshift://", "jdbc:redshift://h:99999/db"):
        with pytest.raises(ConnectorError) as refused:
            parse_database_url(bad)
        assert refused.value.code == "InvalidArgument"


def test_direct_and_data_api_settings() -> None:
    direct = read_settings({**PROPS, "databaseUrl": "jdbc:redshift://c.x.eu-west-1.redshift.amazonaws.com:5439/dev"},
                           {"username": "u", "password": "secret-pw"})
    assert not direct.uses_data_api and direct.region == "eu-west-1" and direct.database == "dev"
    assert "secret-pw" not in repr(direct)
    api = read_settings({**PROPS, "dataApiRoleArn": "arn:aws:iam::123456789012:role/data", "clusterIdentifier": "c1",
                         "databaseName": "sales"}, {"username": "loader"})
    assert api.uses_data_api
    assert api.data_api_target() == {"ClusterIdentifier": "c1", "Database": "sales", "DbUser": "loader"}
    serverless = read_settings({**PROPS, "dataApiRoleArn": "arn:aws:iam::123456789012:role/data",
                                "isRedshiftServerless": True, "workgroupName": "wg", "databaseName": "dev"}, {})
    assert serverless.data_api_target() == {"WorkgroupName": "wg", "Database": "dev"}


def test_incomplete_profiles_are_refused() -> None:
    with pytest.raises(ConnectorError, match="databaseUrl"):
        read_settings(PROPS, {})
    no_cluster = read_settings({**PROPS, "dataApiRoleArn": "arn:aws:iam::123456789012:role/d", "databaseName": "d"}, {})
    with pytest.raises(ConnectorError, match="clusterIdentifier"):
        no_cluster.data_api_target()
