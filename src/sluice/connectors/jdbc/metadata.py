"""Entities and fields of a JDBC database (connectors layer): schemas -> tables -> typed columns.

`ListConnectorEntities` without a parent lists the database's schemas (PostgreSQL schemas; for
MySQL/MariaDB the databases the user sees), each with nested entities; with a schema as parent it
lists that schema's tables and views as `schema.table`, the entity name AppFlow's JDBC connector
uses (cdk-appflow builds `entityName` as `${schema}.${table}`). `DescribeConnectorEntity` reads
information_schema.columns in ordinal order, marks primary-key columns, and types each field
(`types.py`). Both databases answer the same information_schema queries, with bound values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.jdbc.connection import close, connect, statement_error
from sluice.connectors.jdbc.settings import DatabaseSettings, read_settings
from sluice.connectors.jdbc.sql import COMPARISONS, split_entity
from sluice.connectors.jdbc.types import SqlType, sql_type

SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys")
_TEXT_OPERATORS = ["CONTAINS", "EQUAL_TO", "NOT_EQUAL_TO"]
_EQUALITY_OPERATORS = ["EQUAL_TO", "NOT_EQUAL_TO"]
_ORDERED_OPERATORS = sorted(COMPARISONS)


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a table, as information_schema describes it."""

    name: str
    type: SqlType
    nullable: bool
    primary_key: bool
    has_default: bool


def query(conn: Any, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a metadata query (a read; the transaction is ended so no lock is held)."""
    cur = conn.cursor()
    try:
        cur.execute(text, params)
        rows = list(cur.fetchall())
    except Exception as exc:
        raise statement_error(exc, "the database refused a metadata query") from None
    finally:
        cur.close()
    conn.rollback()
    return rows


def table_columns(conn: Any, settings: DatabaseSettings, entity: str) -> tuple[str, str, list[TableColumn]]:
    """(schema, table, columns) of `entity`; `ResourceNotFound` when the table does not exist."""
    try:
        schema, table = split_entity(entity)
    except ValueError as exc:
        raise ConnectorError("InvalidArgument", str(exc)) from None
    mysql = settings.driver == "mysql"
    extra = "column_type" if mysql else "NULL"
    rows = query(conn, "SELECT column_name, data_type, numeric_precision, numeric_scale, character_maximum_length, "
                       f"is_nullable, column_default, {extra} FROM information_schema.columns "
                       "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (schema, table))
    if not rows:
        raise ConnectorError("ResourceNotFound", f"the table {schema}.{table} does not exist")
    keys = {str(r[0]) for r in query(
        conn, "SELECT k.column_name FROM information_schema.table_constraints c "
              "JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name "
              "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
              "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = %s AND c.table_name = %s",
        (schema, table))}
    columns = [
        TableColumn(str(r[0]), sql_type(str(r[1]), precision=_int(r[2]), scale=_int(r[3]), length=_int(r[4]),
                                        column_type=None if r[7] is None else str(r[7])),
                    str(r[5]).upper() == "YES", str(r[0]) in keys, r[6] is not None)
        for r in rows
    ]
    return schema, table, columns


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def entity_field(column: TableColumn) -> dict[str, Any]:
    """One `ConnectorEntityField`: readable, queryable, and writable (INSERT/UPSERT/UPDATE)."""
    # What a flow may filter the field with (the engine applies every Filter; `sql.py` decides
    # which of them the database evaluates too).
    operators = (_ORDERED_OPERATORS if column.type.is_number or column.type.is_temporal
                 else _TEXT_OPERATORS if column.type.is_text else _EQUALITY_OPERATORS)
    details: dict[str, Any] = {"fieldType": column.type.field_type, "filterOperators": ["PROJECTION", *operators]}
    if column.type.field_type == "boolean":
        details["supportedValues"] = ["true", "false"]
    if column.type.length:
        details["fieldLengthRange"] = {"minimum": 0, "maximum": column.type.length}
    return {
        "identifier": column.name,
        "label": column.name,
        "isPrimaryKey": column.primary_key,
        "description": column.type.name,
        "supportedFieldTypeDetails": {"v1": details},
        "sourceProperties": {"isRetrievable": True, "isQueryable": True,
                             "isTimestampFieldForIncrementalQueries": column.type.is_temporal},
        "destinationProperties": {
            "isCreatable": True,
            "isNullable": column.nullable,
            "isUpsertable": True,
            "isUpdatable": True,
            "isDefaultedOnCreate": column.has_default,
            "supportedWriteOperations": ["INSERT", "UPSERT", "UPDATE"],
        },
    }


class JdbcMetadata:
    """`MetadataProvider` of a JDBC profile (`fixed_driver` pins the driver, as RDS PostgreSQL does)."""

    def __init__(self, fixed_driver: str | None = None) -> None:
        self.fixed_driver = fixed_driver

    def list_entities(self, profile: ProfileView, parent: str | None, max_results: int | None,
                      next_token: str | None) -> EntityPage:
        settings = read_settings(profile, self.fixed_driver)
        conn = connect(settings)
        try:
            if not parent:
                marks = ", ".join(["%s"] * len(SYSTEM_SCHEMAS))
                rows = query(conn, "SELECT DISTINCT table_schema FROM information_schema.tables "
                                   f"WHERE table_schema NOT IN ({marks}) ORDER BY 1", SYSTEM_SCHEMAS)
                entities = [{"name": str(r[0]), "label": str(r[0]), "hasNestedEntities": True} for r in rows]
                return entity_page(entities, max_results, next_token, "jdbc-schemas")
            rows = query(conn, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s "
                               "ORDER BY 1", (parent,))
            entities = [{"name": f"{parent}.{r[0]}", "label": str(r[0]), "hasNestedEntities": False,
                         "description": "view" if "VIEW" in str(r[1]).upper() else "table"} for r in rows]
            return entity_page(entities, max_results, next_token, f"jdbc-tables:{parent}")
        finally:
            close(conn)

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        settings = read_settings(profile, self.fixed_driver)
        conn = connect(settings)
        try:
            _, _, columns = table_columns(conn, settings, entity_name)
        finally:
            close(conn)
        return [entity_field(c) for c in columns]


def checker(fixed_driver: str | None = None) -> Any:
    """`ConnectorSpec.check_profile`: connect and run `SELECT 1`; the credentials are stored as given."""

    def check_profile(profile: ProfileView) -> Mapping[str, Any]:
        settings = read_settings(profile, fixed_driver)
        conn = connect(settings)
        try:
            rows = query(conn, "SELECT 1")
        finally:
            close(conn)
        if not rows or int(rows[0][0]) != 1:
            raise ConnectorError("ServerError", "the database did not answer SELECT 1")
        return dict(profile.credentials)

    return check_profile
