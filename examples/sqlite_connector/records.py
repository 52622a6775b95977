"""Record handler: QueryData (filter + paging), RetrieveData (by ids) and WriteData (per-record results)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from custom_connector_sdk.connector.fields import FieldDataType, WriteOperationType
from custom_connector_sdk.lambda_handler.handlers import RecordHandler
from custom_connector_sdk.lambda_handler.responses import ErrorCode, ErrorDetails, WriteRecordResult
from database import ConnectorFailure, authorize
from metadata import Column, columns, primary_key
from query import FilterError, quote, select_sql, translate

DEFAULT_PAGE = 1000


def _fail(message: str) -> ConnectorFailure:
    return ConnectorFailure(ErrorCode.InvalidArgument, message)


def selected(cols: list[Column], names: list[str] | None) -> list[str]:
    """The requested field names (all when none are named); unknown names are an error."""
    known = [c.name for c in cols]
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _fail(f"Unknown fields: {', '.join(unknown)}")
    return list(dict.fromkeys(names))


def record_json(row: sqlite3.Row, types: dict[str, FieldDataType]) -> str:
    """A row as the JSON object string AppFlow expects (booleans as JSON booleans)."""
    record = {}
    for key, value in zip(row.keys(), tuple(row), strict=True):
        if types.get(key) == FieldDataType.Boolean and value is not None:
            value = bool(value)
        elif isinstance(value, bytes):
            value = value.hex()
        record[key] = value
    return json.dumps(record)


def run_query(request: requests.QueryDataRequest) -> responses.QueryDataResponse:
    """One page of the entity's records matching the filter; `nextToken` is the next row offset."""
    conn = authorize(request.connector_context)
    try:
        cols = columns(conn, request.entity_identifier)
        types = {c.name: c.data_type for c in cols}
        names = selected(cols, request.selected_field_names)
        try:
            where, params, limit = translate(request.filter_expression, types)
        except FilterError as exc:
            raise _fail(str(exc)) from exc
        try:
            offset = int(request.next_token or 0)
        except ValueError as exc:
            raise _fail(f"Bad nextToken {request.next_token!r}") from exc
        page_size = max(1, int(request.max_results or DEFAULT_PAGE))
        if limit is not None:
            page_size = min(page_size, max(0, limit - offset))
        rows = conn.execute(select_sql(request.entity_identifier, names, where, primary_key(cols)),
                            [*params, page_size + 1, offset]).fetchall() if page_size else []
    except sqlite3.Error as exc:
        raise _fail(f"Query failed: {exc}") from exc
    finally:
        conn.close()
    more = len(rows) > page_size
    records = [record_json(row, types) for row in rows[:page_size]]
    return responses.QueryDataResponse(is_success=True, records=records,
                                       next_token=str(offset + page_size) if more else None)


def run_retrieve(request: requests.RetrieveDataRequest) -> responses.RetrieveDataResponse:
    """Records whose `idFieldName` (default: the primary key) is one of `ids`."""
    conn = authorize(request.connector_context)
    try:
        cols = columns(conn, request.entity_identifier)
        types = {c.name: c.data_type for c in cols}
        names = selected(cols, request.selected_field_names)
        id_field = request.id_field_name or primary_key(cols)[0]
        if id_field not in types:
            raise _fail(f"Unknown id field {id_field}")
        ids = list(request.ids or [])
        if not ids:
            return responses.RetrieveDataResponse(is_success=True, records=[])
        sql = (f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(request.entity_identifier)} "
               f"WHERE {quote(id_field)} IN ({', '.join('?' for _ in ids)}) ORDER BY {quote(id_field)}")
        rows = conn.execute(sql, ids).fetchall()
    except sqlite3.Error as exc:
        raise _fail(f"Retrieve failed: {exc}") from exc
    finally:
        conn.close()
    return responses.RetrieveDataResponse(is_success=True, records=[record_json(row, types) for row in rows])


def _sql_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def write_one(conn: sqlite3.Connection, table: str, operation: WriteOperationType, id_fields: list[str],
              known: set[str], record: dict[str, Any]) -> str | None:
    """Write one record; returns its id. sqlite3 errors and ValueError mean this record failed."""
    unknown = [k for k in record if k not in known]
    if unknown:
        raise ValueError(f"Unknown fields: {', '.join(unknown)}")
    quoted_table = quote(table)
    if operation == WriteOperationType.INSERT:
        return _insert(conn, quoted_table, record, id_fields)
    missing = [f for f in id_fields if record.get(f) is None]
    if missing:
        raise ValueError(f"Missing id field values: {', '.join(missing)}")
    where = " AND ".join(f"{quote(f)} = ?" for f in id_fields)
    keys = [record[f] for f in id_fields]
    record_id = "|".join(str(k) for k in keys)
    if operation == WriteOperationType.DELETE:
        if conn.execute(f"DELETE FROM {quoted_table} WHERE {where}", keys).rowcount == 0:
            raise ValueError(f"No record with {'/'.join(id_fields)} = {record_id}")
        return record_id
    changes = {k: v for k, v in record.items() if k not in id_fields}
    updated = 0
    if changes:
        assignments = ", ".join(f"{quote(k)} = ?" for k in changes)
        updated = conn.execute(f"UPDATE {quoted_table} SET {assignments} WHERE {where}",
                               [*map(_sql_value, changes.values()), *keys]).rowcount
    elif conn.execute(f"SELECT 1 FROM {quoted_table} WHERE {where}", keys).fetchone():
        updated = 1
    if updated:
        return record_id
    if operation == WriteOperationType.UPDATE:
        raise ValueError(f"No record with {'/'.join(id_fields)} = {record_id}")
    return _insert(conn, quoted_table, record, id_fields)


def _insert(conn: sqlite3.Connection, quoted_table: str, record: dict[str, Any], id_fields: list[str]) -> str:
    if record:
        sql = (f"INSERT INTO {quoted_table} ({', '.join(quote(k) for k in record)}) "
               f"VALUES ({', '.join('?' for _ in record)})")
        cursor = conn.execute(sql, [_sql_value(v) for v in record.values()])
    else:
        cursor = conn.execute(f"INSERT INTO {quoted_table} DEFAULT VALUES")
    if id_fields and all(record.get(f) is not None for f in id_fields):
        return "|".join(str(record[f]) for f in id_fields)
    return str(cursor.lastrowid)


def run_write(request: requests.WriteDataRequest) -> responses.WriteDataResponse:
    """Write each record in its own savepoint, so a constraint violation fails only that record.

    With `allOrNone`, the first failure rolls the whole batch back and every record is reported failed.
    """
    operation = request.operation or WriteOperationType.INSERT
    conn = authorize(request.connector_context)
    results: list[WriteRecordResult] = []
    try:
        cols = columns(conn, request.entity_identifier)
        known = {c.name for c in cols}
        id_fields = list(request.id_field_names or [c for c in primary_key(cols) if c != "rowid"])
        bad_ids = [f for f in id_fields if f not in known]
        if bad_ids:
            raise _fail(f"Unknown id fields: {', '.join(bad_ids)}")
        if operation != WriteOperationType.INSERT and not id_fields:
            raise _fail(f"{operation.name} needs idFieldNames")
        conn.execute("BEGIN")
        for index, raw in enumerate(request.records or []):
            conn.execute("SAVEPOINT record")
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("A record must be a JSON object")
                record_id = write_one(conn, request.entity_identifier, operation, id_fields, known, record)
                conn.execute("RELEASE record")
                results.append(WriteRecordResult(is_success=True, record_id=record_id))
            except (ValueError, sqlite3.Error) as exc:
                conn.execute("ROLLBACK TO record")
                conn.execute("RELEASE record")
                results.append(WriteRecordResult(is_success=False, record_id=None,
                                                 error_message=f"Record {index}: {exc}"))
                if request.all_or_none:
                    break
        failed = [r for r in results if not r.is_success]
        if failed and request.all_or_none:
            conn.execute("ROLLBACK")
            reason = failed[0].error_message
            results = [WriteRecordResult(is_success=False, record_id=None,
                                         error_message=r.error_message if not r.is_success
                                         else f"Rolled back (allOrNone): {reason}") for r in results]
            results += [WriteRecordResult(is_success=False, record_id=None,
                                          error_message=f"Not written (allOrNone): {reason}")
                        for _ in range(len(request.records or []) - len(results))]
        else:
            conn.execute("COMMIT")
    finally:
        conn.close()
    failures = sum(not r.is_success for r in results)
    if failures:
        details = ErrorDetails(ErrorCode.PartialWriteFailure,
                               f"{failures} of {len(results)} records failed to write")
        return responses.WriteDataResponse(is_success=False, error_details=details, write_record_results=results)
    return responses.WriteDataResponse(is_success=True, write_record_results=results)


class SqliteRecordHandler(RecordHandler):
    """QueryData, RetrieveData and WriteData; failures become errorDetails, never exceptions."""

    def query_data(self, request: requests.QueryDataRequest) -> responses.QueryDataResponse:
        """Query one page."""
        try:
            return run_query(request)
        except ConnectorFailure as failure:
            return responses.QueryDataResponse(is_success=False, error_details=failure.details)

    def retrieve_data(self, request: requests.RetrieveDataRequest) -> responses.RetrieveDataResponse:
        """Retrieve by ids."""
        try:
            return run_retrieve(request)
        except ConnectorFailure as failure:
            return responses.RetrieveDataResponse(is_success=False, error_details=failure.details)

    def write_data(self, request: requests.WriteDataRequest) -> responses.WriteDataResponse:
        """Write a batch."""
        try:
            return run_write(request)
        except ConnectorFailure as failure:
            return responses.WriteDataResponse(is_success=False, error_details=failure.details)
