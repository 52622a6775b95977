"""Talking SQL to Redshift (connectors layer): the Data API or a direct connection, one interface.

`open_session(settings, aws, should_stop)` returns a `SqlSession`:

* `DataApiSession` - boto3 `redshift-data` (honouring `AWS_ENDPOINT_URL_REDSHIFT_DATA`), signed
  as `dataApiRoleArn` assumed by the flow account's identity. A statement is submitted, polled
  with `DescribeStatement` (growing pauses, bounded by a deadline), canceled with
  `CancelStatement` when the run is stopped, and its rows read with `GetStatementResult`.
  `transaction(sqls)` is one `BatchExecuteStatement`: the Data API runs a batch as one
  transaction.
* `DirectSession` - `redshift_connector` to the host in `databaseUrl`, after the host passed
  Sluice's outbound rules (`outbound.checked_addresses`: public addresses only unless
  `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true`); it connects to the checked address, so a name that
  resolves elsewhere at connect time cannot slip through. `transaction(sqls)` runs the statements
  and commits once.

Errors become `ConnectorError`s: refused logins `InvalidCredentials`, missing tables
`ResourceNotFound`, SQL Redshift refused `InvalidArgument`, throttling `ThrottlingError`.
Values are inlined as SQL literals with `literal` (the two paths share no parameter style).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sluice.connectors.base import ConnectorError
from sluice.connectors.redshift.settings import RedshiftSettings

log = logging.getLogger(__name__)

ENDED = ("FINISHED", "FAILED", "ABORTED")
QUERY_TIMEOUT = 300.0  # metadata and checks
LOAD_TIMEOUT = 6 * 3600.0
# DescribeStatement is cheap; a long pause would only delay the end of every load.
MAX_POLL = 0.5  # a load: Redshift's own statement timeout usually ends it first
_AUTH_CODES = ("28000", "28P01")


class SqlSession(Protocol):
    """SQL on one Redshift database."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement; its rows (empty when it returns none)."""
        ...

    def transaction(self, sqls: Sequence[str], *, name: str | None = None,
                    on_submitted: Callable[[str], None] | None = None) -> None:
        """Run `sqls` as one transaction: all of it commits or none does.

        `name` labels it where the server can list statements by name (the Data API's
        StatementName); `on_submitted(statement id)` is told the id as soon as there is one.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def literal(value: str) -> str:
    """`value` as a SQL string literal (standard-conforming: only quotes are doubled)."""
    if "\x00" in value:
        raise ConnectorError("InvalidArgument", "a name holds a NUL character")
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """`name` as a delimited SQL identifier."""
    if "\x00" in name or not name:
        raise ConnectorError("InvalidArgument", "an empty table or column name")
    return '"' + name.replace('"', '""') + '"'


def open_session(settings: RedshiftSettings, aws: Any = None,
                 should_stop: Callable[[], bool] = lambda: False) -> SqlSession:
    """The session the profile asks for: the Data API when it names `dataApiRoleArn`, else direct."""
    if settings.uses_data_api:
        return DataApiSession(settings, aws, should_stop)
    return DirectSession(settings, should_stop)


# -- the Redshift Data API -----------------------------------------------------------------------


class DataApiSession:
    """SQL through the Redshift Data API, as `dataApiRoleArn` assumed by the account's identity."""

    def __init__(self, settings: RedshiftSettings, aws: Any, should_stop: Callable[[], bool]) -> None:
        self.target = settings.data_api_target()
        self.should_stop = should_stop
        self.client = data_api_client(settings, aws)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        statement_id = self._call("ExecuteStatement", Sql=sql, **self.target)["Id"]
        answer = self.wait(statement_id, QUERY_TIMEOUT)
        if not answer.get("HasResultSet"):
            return []
        rows: list[tuple[Any, ...]] = []
        token: str | None = None
        while True:
            page = self._call("GetStatementResult", Id=statement_id, **({"NextToken": token} if token else {}))
            rows.extend(tuple(_value(f) for f in record) for record in page.get("Records", []))
            token = page.get("NextToken")
            if not token:
                return rows

    def transaction(self, sqls: Sequence[str], *, name: str | None = None,
                    on_submitted: Callable[[str], None] | None = None) -> None:
        extra = {"StatementName": name} if name else {}
        statement_id = self._call("BatchExecuteStatement", Sqls=list(sqls), **extra, **self.target)["Id"]
        if on_submitted is not None:
            try:
                on_submitted(statement_id)
            except BaseException:  # e.g. the run lost its lease: the load must not commit without it
                cancel_statement(self.client, statement_id)
                raise
        self.wait(statement_id, LOAD_TIMEOUT)

    def wait(self, statement_id: str, timeout: float) -> dict[str, Any]:
        """Poll until the statement ends; cancel it when the run stops or the deadline passes."""
        deadline, pause = time.monotonic() + timeout, 0.05
        while True:
            answer = self._call("DescribeStatement", Id=statement_id)
            status = answer.get("Status")
            if status == "FINISHED":
                return answer
            if status in ("FAILED", "ABORTED"):
                raise statement_error(str(answer.get("Error") or f"the statement ended {status}"))
            if self.should_stop() or time.monotonic() > deadline:
                cancel_statement(self.client, statement_id)
                if self.should_stop():
                    raise ConnectorError("ServerError", "the run was stopped; the Redshift statement was canceled")
                raise ConnectorError("ConnectorTimeout", f"the Redshift statement ran longer than {timeout:.0f}s "
                                     "and was canceled")
            time.sleep(pause)
            pause = min(pause * 1.5, MAX_POLL)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return call_data_api(self.client, operation, **params)

    def close(self) -> None:
        self.client.close()


def data_api_client(settings: RedshiftSettings, aws: Any) -> Any:
    """A `redshift-data` client signed as `dataApiRoleArn`, assumed with the account's identity."""
    from sluice.connectors.aws_identity import SERVER

    identity = aws if aws is not None else SERVER
    session = identity.assume(str(settings.data_api_role_arn), region=settings.region)
    return session.client("redshift-data")


def call_data_api(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """One Data API call; AWS errors become `ConnectorError`s."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        method = getattr(client, _snake(operation))
        return dict(method(**params))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", "")) or str(exc)
        raise _api_error(code, message) from None
    except BotoCoreError as exc:
        raise ConnectorError("ServerError", f"could not reach the Redshift Data API: {type(exc).__name__}") from None


def cancel_statement(client: Any, statement_id: str) -> None:
    """CancelStatement; a statement that already ended is no error."""
    try:
        call_data_api(client, "CancelStatement", Id=statement_id)
    except ConnectorError as exc:
        log.info("Redshift statement %s not canceled: %s", statement_id, exc.message)


def _snake(operation: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _api_error(code: str, message: str) -> ConnectorError:
    if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "ExpiredTokenException",
                "InvalidClientTokenId", "MissingAuthenticationTokenException", "InvalidSignatureException"):
        return ConnectorError("InvalidCredentials", f"the Redshift Data API refused the call: {message}")
    if code in ("ActiveStatementsExceededException", "ActiveSessionsExceededException", "ThrottlingException",
                "ActiveWaitingRequestsExceededException"):
        return ConnectorError("ThrottlingError", f"Redshift Data API: {message}", retry_after=5.0)
    if code == "ResourceNotFoundException":
        return ConnectorError("ResourceNotFound", f"Redshift Data API: {message}")
    if code in ("ValidationException", "ExecuteStatementException", "BatchExecuteStatementException"):
        return ConnectorError("InvalidArgument", f"Redshift Data API: {message}")
    return ConnectorError("ServerError", f"Redshift Data API ({code or 'error'}): {message}")


def statement_error(message: str) -> ConnectorError:
    """The `ConnectorError` for SQL Redshift refused, from its error text."""
    lowered = message.lower()
    if "password authentication failed" in lowered or "permission denied" in lowered \
            or "not authorized" in lowered:
        return ConnectorError("InvalidCredentials", f"Redshift refused: {message}")
    if "does not exist" in lowered:
        return ConnectorError("ResourceNotFound", f"Redshift: {message}")
    return ConnectorError("InvalidArgument", f"Redshift: {message}")


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    return None


# -- a direct connection -------------------------------------------------------------------------


class DirectSession:
    """SQL over Redshift's wire protocol with `redshift_connector`."""

    def __init__(self, settings: RedshiftSettings, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop
        self.conn = connect(settings)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql)
                rows = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
            self.conn.commit()
            return rows
        except Exception as exc:
            self._rollback()
            raise _driver_error(exc) from None

    def transaction(self, sqls: Sequence[str], *, name: str | None = None,
                    on_submitted: Callable[[str], None] | None = None) -> None:
        # The connection is not in autocommit mode: everything until commit() is one transaction,
        # and a connection that drops (Sluice killed) leaves Redshift to roll it back.
        try:
            with self.conn.cursor() as cursor:
                for sql in sqls:
                    if self.should_stop():
                        raise ConnectorError("ServerError", "the run was stopped before the load committed")
                    cursor.execute(sql)
            self.conn.commit()
        except ConnectorError:
            self._rollback()
            raise
        except Exception as exc:
            self._rollback()
            raise _driver_error(exc) from None

    def _rollback(self) -> None:
        try:
            self.conn.rollback()
        except Exception:  # the connection may be gone; Redshift rolls back a dropped session itself
            log.debug("rollback on a broken Redshift connection", exc_info=True)

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            log.debug("closing a broken Redshift connection", exc_info=True)


def connect(settings: RedshiftSettings) -> Any:
    """A `redshift_connector` connection to the checked address of `settings.host`."""
    import httpcore

    from sluice.connectors import outbound

    host = str(settings.host)
    try:
        addresses = outbound.checked_addresses(host, settings.port, None)
    except httpcore.ConnectError:
        raise ConnectorError("ServerError", f"the Redshift host {host} could not be resolved") from None
    import redshift_connector

    failure: Exception | None = None
    for address in addresses:
        try:
            return redshift_connector.connect(
                host=address, port=settings.port, database=settings.database or "dev",
                user=settings.username or "", password=settings.password or "", timeout=30,
                # Connected by the checked address, so the certificate's chain is verified (Redshift's
                # CA bundle and the system's) but not its name.
                ssl=True, sslmode="verify-ca",
            )
        except Exception as exc:
            failure = exc
            if _sqlstate(exc) in _AUTH_CODES:
                break
    assert failure is not None
    if _sqlstate(failure) in _AUTH_CODES:
        raise ConnectorError("InvalidCredentials", "Redshift refused the profile's username or password")
    error = _driver_error(failure)
    if error.code == "ServerError":
        raise outbound.unreachable("Redshift", f"https://{host}")
    raise error


def _sqlstate(exc: Exception) -> str | None:
    detail = exc.args[0] if exc.args else None
    return str(detail.get("C")) if isinstance(detail, dict) and detail.get("C") else None


def _driver_error(exc: Exception) -> ConnectorError:
    detail = exc.args[0] if exc.args else None
    if isinstance(detail, dict) and detail.get("M"):
        if str(detail.get("C")) in _AUTH_CODES:
            return ConnectorError("InvalidCredentials", "Redshift refused the profile's username or password")
        return statement_error(str(detail["M"]))
    return ConnectorError("ServerError", f"the Redshift connection failed ({type(exc).__name__})")
