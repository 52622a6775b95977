"""Snowflake entity metadata (connectors layer): tables from `INFORMATION_SCHEMA`.

`ListConnectorEntities` walks the account like a tree: without a parent, the databases the user
sees (`SHOW DATABASES`); with a parent `DB`, its schemas (`DB.INFORMATION_SCHEMA.SCHEMATA`); with
a parent `DB.SCHEMA`, its tables (`DB.INFORMATION_SCHEMA.TABLES`), named `DB.SCHEMA.TABLE` - the
form `SnowflakeDestinationProperties.object` takes. Names are Snowflake's, quoted only where an
unquoted name would read differently. `DescribeConnectorEntity` reads
`DB.INFORMATION_SCHEMA.COLUMNS` (types mapped in `types.py`); `SCHEMA.TABLE` is looked up in the
database of the profile's stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.snowflake import types
from sluice.connectors.snowflake.connection import connect, display, literal, quote, run, run_dicts, split_name
from sluice.connectors.snowflake.stage import stage_parts

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection


def table_parts(name: str, default_database: str | None = None) -> tuple[str, str, str]:
    """`DB.SCHEMA.TABLE` (or `SCHEMA.TABLE` with `default_database`) as its three parts."""
    parts = split_name(name, "the table")
    if len(parts) == 2 and default_database:
        return default_database, parts[0], parts[1]
    if len(parts) != 3:
        raise ConnectorError("InvalidArgument", f"{name!r} is not a Snowflake table name: write "
                             "<database>.<schema>.<table>")
    return parts[0], parts[1], parts[2]


def read_columns(connection: SnowflakeConnection, database: str, schema: str,
                 table: str) -> list[types.SnowflakeColumn]:
    """The table's columns in order; `ResourceNotFound` naming the table when it has none (missing)."""
    sql = (
        "SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale, "
        f"column_default, comment FROM {quote(database)}.INFORMATION_SCHEMA.COLUMNS "
        f"WHERE table_schema = {literal(schema)} AND table_name = {literal(table)} ORDER BY ordinal_position"
    )
    shown = display(database, schema, table)
    rows = run(connection, sql, f"the table {shown}")
    if not rows:
        raise ConnectorError("ResourceNotFound", f"the Snowflake table {shown} does not exist or this user may not "
                             "see it")
    return [types.from_row(row) for row in rows]


class SnowflakeMetadata:
    """`MetadataProvider` for Snowflake (one session per call, closed after it)."""

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        connection = connect(profile)
        try:
            entities, kind = self._children(connection, parent)
        finally:
            connection.close()
        return entity_page(entities, max_results, next_token, kind)

    def _children(self, connection: SnowflakeConnection, parent: str | None) -> tuple[list[dict[str, Any]], str]:
        if not parent:
            databases = run_dicts(connection, "SHOW DATABASES", "the database list")
            names = sorted(str(r["name"]) for r in databases if r.get("name"))
            return [_entity((name,), nested=True) for name in names], "databases"
        parts = split_name(parent, "the parent entity")
        if len(parts) == 1:
            rows = run(connection, f"SELECT schema_name FROM {quote(parts[0])}.INFORMATION_SCHEMA.SCHEMATA "
                       "WHERE schema_name <> 'INFORMATION_SCHEMA' ORDER BY schema_name", f"the database {parent}")
            return [_entity((parts[0], str(r[0])), nested=True) for r in rows], "schemas"
        if len(parts) == 2:
            rows = run(connection, f"SELECT table_name, table_type FROM {quote(parts[0])}.INFORMATION_SCHEMA.TABLES "
                       f"WHERE table_schema = {literal(parts[1])} ORDER BY table_name", f"the schema {parent}")
            # Views take no COPY INTO; only tables are destinations.
            return [_entity((*parts, str(r[0])), nested=False) for r in rows
                    if "TABLE" in str(r[1] or "BASE TABLE").upper()], "tables"
        return [], "tables"  # a table has no nested entities

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        # `SCHEMA.TABLE` names a table in the stage's database, as the destination reads it.
        database, schema, table = table_parts(entity_name, stage_parts(profile.properties)[0])
        connection = connect(profile)
        try:
            columns = read_columns(connection, database, schema, table)
        finally:
            connection.close()
        return [types.entity_field(c) for c in columns]


def _entity(parts: tuple[str, ...], *, nested: bool) -> dict[str, Any]:
    return {"name": display(*parts), "label": parts[-1], "hasNestedEntities": nested}
