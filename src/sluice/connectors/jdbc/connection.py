"""Connections to the profile's database (connectors layer): psycopg for PostgreSQL, PyMySQL for MySQL/MariaDB.

The host obeys Sluice's outbound rules (`outbound.checked_addresses`): public addresses only,
unless the operator sets `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true` (on-premises databases, tests);
cloud metadata addresses never. The connection goes to the checked address, so a name cannot
resolve to something else between the check and the connect. TLS is as each driver does it by
default: psycopg (libpq) `sslmode=prefer`, with the host name kept for certificate checks;
PyMySQL plain unless the server requires otherwise. Every session runs in UTC, so naive
timestamps mean UTC both ways.
"""

from __future__ import annotations

import logging
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.jdbc.settings import DatabaseSettings

log = logging.getLogger(__name__)

_PG_AUTH_STATES = {"28P01", "28000"}
_MYSQL_AUTH_CODES = {1044, 1045, 1698}
_MYSQL_UNKNOWN_DATABASE = 1049
CONNECT_TIMEOUT = 30


def addresses(settings: DatabaseSettings) -> list[str]:
    """The checked addresses of the profile's host (`outbound.EndpointRefused` when refused)."""
    import httpcore

    from sluice.connectors import outbound

    try:
        return outbound.checked_addresses(settings.hostname, settings.port, None)
    except httpcore.ConnectError:
        raise ConnectorError("ServerError", f"the database host {settings.hostname} could not be resolved") from None


def connect(settings: DatabaseSettings) -> Any:
    """A DB-API connection (autocommit off) to the profile's database, in UTC."""
    failure: ConnectorError | None = None
    for address in addresses(settings):
        try:
            if settings.driver == "postgresql":
                return _connect_postgres(settings, address)
            return _connect_mysql(settings, address)
        except ConnectorError as exc:
            if exc.code == "InvalidCredentials" or exc.code == "ResourceNotFound":
                raise
            failure = exc
    assert failure is not None
    raise failure


def _connect_postgres(settings: DatabaseSettings, address: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(host=settings.hostname, hostaddr=address, port=settings.port,
                               dbname=settings.database, user=settings.username, password=settings.password,
                               connect_timeout=CONNECT_TIMEOUT, options="-c TimeZone=UTC",
                               application_name="sluice")
    except psycopg.OperationalError as exc:
        state = getattr(exc, "sqlstate", None)
        text = str(exc)
        if state in _PG_AUTH_STATES or "password authentication failed" in text or "no password" in text:
            raise ConnectorError("InvalidCredentials",
                                 "PostgreSQL refused the profile's username or password") from None
        if state == "3D000" or ("does not exist" in text and "database" in text):
            raise ConnectorError("ResourceNotFound", f"the database {settings.database} does not exist") from None
        raise ConnectorError("ServerError", f"could not connect to PostgreSQL at {settings.hostname}:{settings.port}"
                             ) from None


def _connect_mysql(settings: DatabaseSettings, address: str) -> Any:
    try:
        import pymysql
        import pymysql.constants.CLIENT
    except ImportError:  # pragma: no cover - a deployment without the optional driver
        raise ConnectorError("InvalidArgument", "the mysql driver needs the PyMySQL package on the server") from None
    try:
        return pymysql.connect(host=address, port=settings.port, user=settings.username, password=settings.password,
                               database=settings.database, charset="utf8mb4", connect_timeout=CONNECT_TIMEOUT,
                               autocommit=False, init_command="SET time_zone = '+00:00'",
                               # An UPDATE's row count is the rows it matched, as PostgreSQL counts.
                               client_flag=pymysql.constants.CLIENT.FOUND_ROWS)
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else None
        if code in _MYSQL_AUTH_CODES:
            raise ConnectorError("InvalidCredentials", "MySQL refused the profile's username or password") from None
        if code == _MYSQL_UNKNOWN_DATABASE:
            raise ConnectorError("ResourceNotFound", f"the database {settings.database} does not exist") from None
        raise ConnectorError("ServerError", f"could not connect to MySQL at {settings.hostname}:{settings.port}"
                             ) from None


def statement_error(exc: Exception, what: str) -> ConnectorError:
    """A driver's error while running SQL, as a ConnectorError naming `what` (the database's message)."""
    message = str((getattr(exc, "diag", None) and exc.diag.message_primary) or "") or str(exc)  # type: ignore[attr-defined]
    code = "ServerError" if type(exc).__name__ in ("OperationalError", "InterfaceError") else "InvalidArgument"
    return ConnectorError(code, f"{what}: {message.strip()[:500]}")


def close(conn: Any) -> None:
    """Close a connection that may already be broken."""
    try:
        conn.close()
    except Exception:
        log.debug("closing a broken database connection", exc_info=True)
