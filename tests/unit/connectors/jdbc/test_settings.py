"""A JDBC profile's connection settings, from the CDK's credentialsMap or properties + basic auth."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.jdbc.settings import read_settings


def custom(**entries: str) -> ProfileView:
    return ProfileView("p", "CustomConnector", "JDBCsmall", {"profileProperties": {}},
                       {"authenticationType": "CUSTOM",
                        "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": entries}})


def test_credentials_map_as_cdk_sends_it() -> None:
    s = read_settings(custom(username="u", password="secret", driver="mysql", hostname="db.example.com",
                             port="3307", database="shop"))
    assert (s.driver, s.hostname, s.port, s.database, s.username, s.password) == (
        "mysql", "db.example.com", 3307, "shop", "u", "secret")
    assert "secret" not in repr(s)


def test_properties_and_basic_auth() -> None:
    view = ProfileView("p", "CustomConnector", "JDBCsmall",
                       {"profileProperties": {"driver": "postgresql", "hostname": "h.example.com", "database": "d"}},
                       {"authenticationType": "BASIC", "basic": {"username": "u", "password": "p"}})
    s = read_settings(view)
    assert (s.port, s.username) == (5432, "u")


def test_fixed_driver_and_refusals() -> None:
    assert read_settings(custom(username="u", hostname="h", database="d"), "postgresql").driver == "postgresql"
    with pytest.raises(ConnectorError, match="driver must be one of postgresql, mysql, not 'oracle'"):
        read_settings(custom(username="u", hostname="h", database="d", driver="oracle"))
    with pytest.raises(ConnectorError, match="lacks hostname"):
        read_settings(custom(username="u", database="d", driver="mysql"))
    with pytest.raises(ConnectorError, match="port"):
        read_settings(custom(username="u", hostname="h", database="d", driver="mysql", port="99999"))
