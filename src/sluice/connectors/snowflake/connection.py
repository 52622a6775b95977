"""Reaching a Snowflake account (connectors layer): the host, the login, names, and errors.

Where: `<account identifier>.snowflakecomputing.com`, as Snowflake documents account identifiers
(https://docs.snowflake.com/en/user-guide/admin-account-identifier). `accountName` is either the
preferred `orgname-account_name` form, which carries no region, or a legacy account locator, which
takes the region segment of Snowflake's locator table (none for AWS us-west-2, `us-east-1`,
`eu-west-1`, ... as they are, `<region>.aws` for the newer AWS regions); an `accountName` that
already holds a dot (`xy12345.us-east-2.aws`) is taken as the whole identifier. With
`privateLinkServiceName` the account is reached through AWS PrivateLink, on
`<account identifier>.privatelink.snowflakecomputing.com`
(https://docs.snowflake.com/en/user-guide/admin-security-privatelink).
`SLUICE_ENDPOINT_URL_SNOWFLAKE` replaces that URL (tests, a proxy).

The vendor's Python connector (`snowflake-connector-python`) speaks Snowflake's login and query
protocol; it brings its own HTTP stack, so `connectors/outbound.py`'s client cannot carry it.
Sluice applies the same rules before each login instead: the URL must pass `check_vendor_url`
(https, the vendor's hosts, public unless `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true`) and every
address the host resolves to must pass `checked_addresses`. TLS trusts the CA bundle named by
`REQUESTS_CA_BUNDLE`: the connector's requests session and its OCSP checker read that variable
and no other, which is the connector's documented way to trust a private CA; when only
`SSL_CERT_FILE` is set, Sluice copies it into `REQUESTS_CA_BUNDLE` before the login, so both work.
Certificate revocation (OCSP) checks stay on for public hosts; a loopback or private endpoint -
allowed only with SLUICE_ALLOW_PRIVATE_ENDPOINTS - is
connected with `disable_ocsp_checks=True`, the connector's documented switch, because a private
CA has no OCSP responder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection

CONNECTOR_TYPE = "Snowflake"
VENDOR_HOSTS = ("snowflakecomputing.com",)
LOGIN_TIMEOUT = 60
NETWORK_TIMEOUT = 600

# Snowflake's account-locator region segments for AWS (admin-account-identifier, "Format 2"):
# these regions are written without the `.aws` suffix; us-west-2 has no segment at all.
_BARE_REGIONS = frozenset({"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-southeast-2"})
_DEFAULT_REGION = "us-west-2"
_AWS_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


# -- where -------------------------------------------------------------------------------------


def account_identifier(props: Mapping[str, Any]) -> str:
    """The account identifier the host name starts with (see the module docstring)."""
    account = str(props.get("accountName") or "").strip().lower()
    if not account:
        raise ConnectorError("InvalidArgument", "the Snowflake profile needs accountName to reach the account")
    if not re.fullmatch(r"[a-z0-9_.-]+", account):
        raise ConnectorError("InvalidArgument", "accountName may hold only letters, digits, '_', '-' and '.'")
    region = str(props.get("region") or "").strip().lower()
    if "." in account or "-" in account or not region:
        return account
    if _AWS_REGION.fullmatch(region):
        if region == _DEFAULT_REGION:
            return account
        return f"{account}.{region}" if region in _BARE_REGIONS else f"{account}.{region}.aws"
    return f"{account}.{region}"  # already a Snowflake region id (us-east-2.aws, east-us-2.azure)


def account_url(props: Mapping[str, Any]) -> str:
    """`https://<host>` of the account: the operator's override, else the (PrivateLink) host."""
    override = outbound.endpoint_override(CONNECTOR_TYPE)
    if override:
        return override
    identifier = account_identifier(props)
    if props.get("privateLinkServiceName"):
        return f"https://{identifier}.privatelink.snowflakecomputing.com"
    return f"https://{identifier}.snowflakecomputing.com"


def vendor_hosts() -> tuple[str, ...]:
    """Snowflake's hosts plus the operator's endpoint override (`ConnectorSpec.vendor_hosts`)."""
    return outbound.known_hosts(CONNECTOR_TYPE, VENDOR_HOSTS)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A checked place to log in: host, port, scheme, and whether it is a private address."""

    host: str
    port: int
    protocol: str
    private: bool


def endpoint(props: Mapping[str, Any]) -> Endpoint:
    """The account's endpoint after Sluice's outbound rules (`EndpointRefused` when refused)."""
    url = outbound.check_vendor_url(account_url(props), allowed_host_suffixes=vendor_hosts(),
                                    what="the Snowflake account URL")
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = outbound.checked_addresses(host, port, vendor_hosts())
    except outbound.EndpointRefused:
        raise
    except Exception:  # httpcore.ConnectError: the name does not resolve
        raise outbound.unreachable("the Snowflake account", url) from None
    private = any(outbound.classify_address(a) != outbound.PUBLIC for a in addresses)
    return Endpoint(host, port, parts.scheme, private)


# -- login ---------------------------------------------------------------------------------------


def connect(profile: ProfileView) -> SnowflakeConnection:
    """A logged-in connection, the profile's warehouse in use.

    Autocommit stays on (Snowflake's default): metadata reads open no transaction, and the load
    opens its own with an explicit BEGIN, which holds until COMMIT or ROLLBACK (a session that
    ends without either is rolled back).

    Refusals of the user name, password or key become `InvalidCredentials`; a warehouse the user
    cannot use becomes `ResourceNotFound` naming it.
    """
    import snowflake.connector

    _trust_ssl_cert_file()
    props, creds = profile.properties, profile.credentials
    place = endpoint(props)
    user = str(creds.get("username") or "")
    if not user:
        raise ConnectorError("InvalidCredentials", "the Snowflake profile's credentials need a username")
    kwargs: dict[str, Any] = {
        "user": user,
        "account": _login_account(props),
        "host": place.host,
        "port": place.port,
        "protocol": place.protocol,
        "login_timeout": LOGIN_TIMEOUT,
        "network_timeout": NETWORK_TIMEOUT,
        "application": "Sluice",
        "client_session_keep_alive": False,
        # Sluice reports nothing to Snowflake about itself; the connector's telemetry stays off.
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "TIMEZONE": "UTC"},
    }
    if place.private:
        kwargs["disable_ocsp_checks"] = True
    if creds.get("privateKey"):
        kwargs["private_key"] = _private_key(str(creds["privateKey"]))
    else:
        kwargs["password"] = str(creds.get("password") or "")
    try:
        connection = snowflake.connector.connect(**kwargs)
    except Exception as exc:  # the connector raises many error classes at login; mapped in one place
        raise login_error(exc, place) from None
    try:
        use_warehouse(connection, str(props.get("warehouse") or ""))
    except BaseException:
        connection.close()
        raise
    return connection


def _trust_ssl_cert_file() -> None:
    """Let `SSL_CERT_FILE` reach the connector too: it reads only `REQUESTS_CA_BUNDLE`.

    Sluice honours both variables everywhere; when only `SSL_CERT_FILE` is set, the process's
    requests-based clients (this connector's among them) are given the same bundle.
    """
    if not os.environ.get("REQUESTS_CA_BUNDLE") and os.environ.get("SSL_CERT_FILE"):
        os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"]


def _login_account(props: Mapping[str, Any]) -> str:
    """The account name the login names: the identifier's first segment (org-account or locator)."""
    if not props.get("accountName") and outbound.endpoint_override(CONNECTOR_TYPE):
        return "sluice"  # an operator's endpoint stands for one account; the name is not used to route
    return account_identifier(props).split(".", 1)[0]


def _private_key(text: str) -> bytes:
    """A PEM private key (AppFlow's `privateKey`) as the DER bytes the connector takes."""
    from cryptography.hazmat.primitives import serialization

    pem = text.strip()
    if "-----BEGIN" not in pem:
        pem = f"-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----"
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConnectorError("InvalidCredentials", "privateKey is not an unencrypted PEM private key") from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def login_error(exc: Exception, place: Endpoint) -> ConnectorError:
    """The `ConnectorError` for a failed login (no password or key text ever appears)."""
    errno = int(getattr(exc, "errno", 0) or 0)
    message = str(getattr(exc, "msg", "") or "").strip()
    if 390000 <= errno < 391000:
        return ConnectorError("InvalidCredentials", f"Snowflake refused the login ({errno}): {message}")
    return outbound.unreachable("the Snowflake account", f"{place.protocol}://{place.host}")


def use_warehouse(connection: SnowflakeConnection, warehouse: str) -> None:
    """Check that `warehouse` exists for this user (SHOW WAREHOUSES) and make it the session's."""
    name = identifier_part(warehouse, "warehouse")
    rows = run(connection, f"SHOW WAREHOUSES LIKE '{_like(name)}'", f"the warehouse {warehouse}")
    if not any(str(row[0]) == name for row in rows):
        raise ConnectorError("ResourceNotFound", f"the Snowflake warehouse {warehouse} does not exist or this user "
                             "may not use it")
    run(connection, f"USE WAREHOUSE {quote(name)}", f"the warehouse {warehouse}")


# -- names ---------------------------------------------------------------------------------------


def split_name(text: str, what: str) -> list[str]:
    """`a.b."C d"` -> ['A', 'B', 'C d']: parts as Snowflake resolves them (unquoted parts in upper case)."""
    parts: list[str] = []
    pattern = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^."\s]+))\s*(\.|$)')
    position = 0
    text = str(text or "").strip()
    while position < len(text):
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            raise ConnectorError("InvalidArgument", f"{what} {text!r} is not a Snowflake object name")
        quoted, plain, _ = match.groups()
        parts.append(quoted.replace('""', '"') if quoted is not None else identifier_part(plain, what))
        position = match.end()
        if match.group(3) == "." and position >= len(text):
            raise ConnectorError("InvalidArgument", f"{what} {text!r} ends with a dot")
    if not parts:
        raise ConnectorError("InvalidArgument", f"{what} is empty")
    return parts


def identifier_part(text: str, what: str) -> str:
    """An unquoted identifier as Snowflake stores it (upper case); refuses what is no identifier."""
    text = str(text or "").strip()
    if not _PLAIN_IDENTIFIER.fullmatch(text):
        raise ConnectorError("InvalidArgument", f"{what} {text!r} is not a Snowflake identifier")
    return text.upper()


def quote(name: str) -> str:
    """A name as a quoted identifier (exact case)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """`"DB"."SCHEMA"."TABLE"`."""
    return ".".join(quote(p) for p in parts)


def display(*parts: str) -> str:
    """`DB.SCHEMA.TABLE`, quoting only parts that need it (as entity names are spelled)."""
    return ".".join(p if re.fullmatch(r"[A-Z_][A-Z0-9_$]*", p) else quote(p) for p in parts)


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _like(name: str) -> str:
    """`name` as a LIKE pattern matching only itself."""
    return re.sub(r"([\\_%])", r"\\\1", name).replace("'", "''")


# -- statements ---------------------------------------------------------------------------------------


def run(connection: SnowflakeConnection, sql: str, what: str) -> list[tuple[Any, ...]]:
    """Execute one statement and fetch its rows; failures become `ConnectorError`s naming `what`."""
    with sql_errors(what):
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()


def run_dicts(connection: SnowflakeConnection, sql: str, what: str) -> list[dict[str, Any]]:
    """Like `run`, each row as {lower-case column name: value} (SHOW commands' columns vary by release)."""
    with sql_errors(what):
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            if not cursor.description:
                return []
            names = [str(d[0]).lower() for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()


@contextmanager
def sql_errors(what: str) -> Iterator[None]:
    """Turn the connector's errors into `ConnectorError`s: missing objects, refusals, the rest."""
    from snowflake.connector import errors

    try:
        yield
    except ConnectorError:
        raise
    except errors.ProgrammingError as exc:
        errno = int(exc.errno or 0)
        message = str(exc.msg or exc).strip()
        if errno in (2003, 2043) or "does not exist" in message:
            raise ConnectorError("ResourceNotFound", f"{what}: {message}") from None
        if errno == 3001 or "insufficient privileges" in message.lower():
            raise ConnectorError("AccessDenied", f"{what}: {message}") from None
        raise ConnectorError("InvalidArgument", f"{what}: Snowflake refused the statement: {message}") from None
    except errors.DatabaseError as exc:
        errno = int(exc.errno or 0)
        if 390100 <= errno < 390200:
            raise ConnectorError("InvalidCredentials", f"{what}: the Snowflake session was refused") from None
        raise ConnectorError("ServerError", f"{what}: Snowflake failed: {str(exc.msg or exc).strip()}") from None
    except errors.Error as exc:
        raise ConnectorError("ServerError", f"{what}: Snowflake failed: {str(exc.msg or exc).strip()}") from None
