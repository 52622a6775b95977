"""connectors/snowflake/connection.py: account hosts as Snowflake documents them, the outbound rules before a
login, object names, and login errors (no network: a stand-in resolver plays DNS)."""

from __future__ import annotations

import pytest

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError
from sluice.connectors.outbound import EndpointRefused
from sluice.connectors.snowflake import connection
from sluice.connectors.snowflake.connection import account_identifier, account_url, endpoint, split_name


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "SLUICE_ENDPOINT_URL_SNOWFLAKE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("account", "region", "expected"), [
    ("xy12345", "us-west-2", "xy12345"),  # Snowflake's first region has no segment
    ("xy12345", "us-east-1", "xy12345.us-east-1"),
    ("xy12345", "eu-central-1", "xy12345.eu-central-1"),
    ("xy12345", "us-east-2", "xy12345.us-east-2.aws"),
    ("xy12345", "ap-northeast-1", "xy12345.ap-northeast-1.aws"),
    ("xy12345", "east-us-2.azure", "xy12345.east-us-2.azure"),  # already a Snowflake region id
    ("XY12345.us-east-2.aws", "us-east-1", "xy12345.us-east-2.aws"),  # the whole identifier, as given
    ("myorg-account_1", "us-east-2", "myorg-account_1"),  # org-account names carry no region
    ("xy12345", None, "xy12345"),
])
def test_account_identifier(account: str, region: str | None, expected: str) -> None:
    assert account_identifier({"accountName": account, "region": region}) == expected


def test_account_url_public_privatelink_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    props = {"accountName": "xy12345", "region": "us-east-2"}
    assert account_url(props) == "https://xy12345.us-east-2.aws.snowflakecomputing.com"
    private = {**props, "privateLinkServiceName": "com.amazonaws.vpce.us-east-2.vpce-svc-0123"}
    assert account_url(private) == "https://xy12345.us-east-2.aws.privatelink.snowflakecomputing.com"
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_SNOWFLAKE", "https://127.0.0.1:8443/")
    assert account_url(props) == "https://127.0.0.1:8443"


def test_account_name_is_required_and_checked() -> None:
    with pytest.raises(ConnectorError, match="accountName"):
        account_identifier({})
    with pytest.raises(ConnectorError, match="accountName"):
        account_identifier({"accountName": "evil.com/"})


def test_a_private_override_needs_the_operators_leave(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_SNOWFLAKE", "https://127.0.0.1:8443")
    with pytest.raises(EndpointRefused, match="loopback"):
        endpoint({})
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    place = endpoint({})
    assert (place.host, place.port, place.protocol, place.private) == ("127.0.0.1", 8443, "https", True)


def test_plain_http_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_SNOWFLAKE", "http://snowflake.example.com")
    with pytest.raises(EndpointRefused, match="https"):
        endpoint({})


def test_a_snowflake_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: ["10.1.2.3"])
    with pytest.raises(EndpointRefused, match="resolves to a loopback, private"):
        endpoint({"accountName": "xy12345"})
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: ["52.1.2.3"])
    place = endpoint({"accountName": "xy12345"})
    assert (place.host, place.port, place.private) == ("xy12345.snowflakecomputing.com", 443, False)


@pytest.mark.parametrize(("text", "parts"), [
    ("analytics.raw.orders", ["ANALYTICS", "RAW", "ORDERS"]),
    ('analytics."Raw Data"."my.table"', ["ANALYTICS", "Raw Data", "my.table"]),
    ('DB.S."a""b"', ["DB", "S", 'a"b']),
])
def test_split_name(text: str, parts: list[str]) -> None:
    assert split_name(text, "the table") == parts


@pytest.mark.parametrize("text", ["", "a..b", "a.b.", "a;drop table x", "a.b c"])
def test_split_name_refuses_what_is_no_name(text: str) -> None:
    with pytest.raises(ConnectorError):
        split_name(text, "the table")


def test_display_quotes_only_what_needs_it() -> None:
    assert connection.display("DB", "RAW", "ORDERS") == "DB.RAW.ORDERS"
    assert connection.display("DB", "Raw Data", "x") == 'DB."Raw Data"."x"'
    assert connection.qualified("DB", 'a"b') == '"DB"."a""b"'


def test_login_errors_map_to_invalid_credentials_without_secrets() -> None:
    class Refused(Exception):
        errno = 390100
        msg = "Incorrect username or password was specified."

    class Unreachable(Exception):
        errno = 250001
        msg = "Could not connect to Snowflake backend after 0 attempt(s)."

    place = connection.Endpoint("xy12345.snowflakecomputing.com", 443, "https", False)
    refused = connection.login_error(Refused(), place)
    assert refused.code == "InvalidCredentials" and "Incorrect username or password" in refused.message
    unreachable = connection.login_error(Unreachable(), place)
    assert unreachable.code == "ServerError" and "xy12345.snowflakecomputing.com" in unreachable.message


def test_private_keys_are_read_from_pem_with_or_without_armour() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    der = connection._private_key(pem)
    assert serialization.load_der_private_key(der, password=None).private_numbers() == key.private_numbers()
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    assert connection._private_key(body) == der
    with pytest.raises(ConnectorError) as refused:
        connection._private_key("not a key")
    assert refused.value.code == "InvalidCredentials" and "not a key" not in refused.value.message
