"""Metadata handler: tables as entities, columns (PRAGMA table_info) as fields."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from custom_connector_sdk.connector.configuration import ConnectorOperator as Op
from custom_connector_sdk.connector.context import Entity, EntityDefinition
from custom_connector_sdk.connector.fields import (
    FieldDataType,
    FieldDefinition,
    ReadOperationProperty,
    WriteOperationProperty,
    WriteOperationType,
)
from custom_connector_sdk.connector.settings import CacheControl, TimeUnit
from custom_connector_sdk.lambda_handler.handlers import MetadataHandler
from custom_connector_sdk.lambda_handler.responses import ErrorCode
from database import ConnectorFailure, authorize, tables

INCREMENTAL_FIELD = "updated_at"
COMPARISONS = [Op.EQUAL_TO, Op.NOT_EQUAL_TO, Op.LESS_THAN, Op.LESS_THAN_OR_EQUAL_TO, Op.GREATER_THAN,
               Op.GREATER_THAN_OR_EQUAL_TO, Op.BETWEEN]
FILTER_OPERATORS = {
    FieldDataType.String: [Op.EQUAL_TO, Op.NOT_EQUAL_TO, Op.CONTAINS, Op.LESS_THAN, Op.GREATER_THAN],
    FieldDataType.Boolean: [Op.EQUAL_TO, Op.NOT_EQUAL_TO],
}
CACHE = CacheControl(time_to_live=600, time_to_live_unit=TimeUnit.SECONDS)


@dataclass(frozen=True)
class Column:
    """One column as PRAGMA table_info describes it, plus whether a unique index covers it alone."""

    name: str
    declared: str
    data_type: FieldDataType
    not_null: bool
    default: str | None
    primary_key: bool
    unique: bool


def field_type(declared: str) -> FieldDataType:
    """SDK data type for a declared SQLite column type (SQLite's affinity rules, plus date names)."""
    decl = declared.upper()
    if "DATETIME" in decl or "TIMESTAMP" in decl:
        return FieldDataType.DateTime
    if "DATE" in decl:
        return FieldDataType.Date
    if "BOOL" in decl:
        return FieldDataType.Boolean
    if "INT" in decl:
        return FieldDataType.Long if "BIG" in decl else FieldDataType.Integer
    if any(word in decl for word in ("CHAR", "CLOB", "TEXT")):
        return FieldDataType.String
    if any(word in decl for word in ("REAL", "FLOA", "DOUB")):
        return FieldDataType.Double
    if "BLOB" in decl:
        return FieldDataType.ByteArray
    if any(word in decl for word in ("NUMERIC", "DECIMAL")):
        return FieldDataType.BigDecimal
    return FieldDataType.String


def columns(conn: sqlite3.Connection, table: str) -> list[Column]:
    """The table's columns, in order; ConnectorFailure(InvalidArgument) for an unknown table."""
    if table not in tables(conn):
        raise ConnectorFailure(ErrorCode.InvalidArgument, f"Entity {table} does not exist")
    unique: set[str] = set()
    for index in conn.execute(f"PRAGMA index_list({_literal(table)})").fetchall():
        if index["unique"]:
            names = [row["name"] for row in conn.execute(f"PRAGMA index_info({_literal(index['name'])})")]
            if len(names) == 1:
                unique.add(names[0])
    return [Column(row["name"], row["type"] or "", field_type(row["type"] or ""), bool(row["notnull"]),
                   row["dflt_value"], bool(row["pk"]), bool(row["pk"]) or row["name"] in unique)
            for row in conn.execute(f"PRAGMA table_info({_literal(table)})").fetchall()]


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def primary_key(cols: list[Column]) -> list[str]:
    """Primary-key column names (rowid tables without one page by `rowid`)."""
    return [c.name for c in cols if c.primary_key] or ["rowid"]


def field_definition(column: Column) -> FieldDefinition:
    """The SDK field for a column."""
    numeric_or_date = column.data_type not in (FieldDataType.String, FieldDataType.Boolean, FieldDataType.ByteArray)
    operators = COMPARISONS if numeric_or_date else FILTER_OPERATORS.get(column.data_type, [])
    # An INTEGER PRIMARY KEY is the rowid: SQLite assigns it when an insert leaves it out.
    defaulted = column.default is not None or (column.primary_key and column.data_type == FieldDataType.Integer)
    id_operations = [WriteOperationType.UPDATE, WriteOperationType.UPSERT, WriteOperationType.DELETE] \
        if column.unique else []
    return FieldDefinition(
        field_name=column.name,
        data_type=column.data_type,
        data_type_label=column.declared or "ANY",
        label=column.name.replace("_", " ").title(),
        description=f"{column.name} ({column.declared or 'untyped'})",
        is_primary_key=column.primary_key,
        default_value=column.default,
        read_properties=ReadOperationProperty(is_retrievable=True, is_nullable=not column.not_null, is_queryable=True,
                                              is_timestamp_field_for_incremental_queries=column.name ==
                                              INCREMENTAL_FIELD and column.data_type == FieldDataType.DateTime),
        write_properties=WriteOperationProperty(is_creatable=True, is_updatable=not column.primary_key,
                                                is_nullable=not column.not_null, is_upsertable=True,
                                                is_defaulted_on_create=defaulted,
                                                supported_write_operations=id_operations),
        filter_operators=operators,
    )


def entity(table: str) -> Entity:
    """The SDK entity for a table."""
    return Entity(entity_identifier=table, has_nested_entities=False, is_writable=True,
                  label=table.replace("_", " ").title(), description=f"The {table} table")


class SqliteMetadataHandler(MetadataHandler):
    """ListEntities and DescribeEntity."""

    def list_entities(self, request: requests.ListEntitiesRequest) -> responses.ListEntitiesResponse:
        """Tables, paged by `maxResult` with an offset `nextToken`; there are no nested entities."""
        try:
            conn = authorize(request.connector_context)
        except ConnectorFailure as failure:
            return responses.ListEntitiesResponse(is_success=False, error_details=failure.details)
        try:
            names = [] if request.entities_path else tables(conn)
        finally:
            conn.close()
        try:
            offset = int(request.next_token or 0)
        except ValueError:
            return responses.ListEntitiesResponse(is_success=False, error_details=responses.ErrorDetails(
                ErrorCode.InvalidArgument, f"Bad nextToken {request.next_token!r}"))
        size = max(1, int(request.max_result or 1000))
        page = names[offset:offset + size]
        next_token = str(offset + size) if offset + size < len(names) else None
        return responses.ListEntitiesResponse(is_success=True, entities=[entity(name) for name in page],
                                              next_token=next_token, cache_control=CACHE)

    def describe_entity(self, request: requests.DescribeEntityRequest) -> responses.DescribeEntityResponse:
        """The table's fields."""
        try:
            conn = authorize(request.connector_context)
            try:
                cols = columns(conn, request.entity_identifier)
            finally:
                conn.close()
        except ConnectorFailure as failure:
            return responses.DescribeEntityResponse(is_success=False, error_details=failure.details)
        definition = EntityDefinition(entity=entity(request.entity_identifier),
                                      fields=[field_definition(c) for c in cols])
        return responses.DescribeEntityResponse(is_success=True, entity_definition=definition, cache_control=CACHE)
