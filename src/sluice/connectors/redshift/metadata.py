"""Redshift entity metadata (connectors layer): schemas, tables and their columns.

`ListConnectorEntities` without a parent lists the database's schemas (`hasNestedEntities`
true); with a schema as parent, its tables and views as `schema.table` (the form
`RedshiftDestinationProperties.object` takes). `DescribeConnectorEntity` answers the table's
columns from `information_schema.columns`, with Redshift's type name as the field type, the byte
length of character columns as `fieldLengthRange` and nullability as `isNullable`. Only INSERT
is offered: `RedshiftDestinationProperties` has no write operation.

`check_profile` (ConnectorSpec.check_profile) connects the way runs will and runs `SELECT 1`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.redshift.settings import read_settings
from sluice.connectors.redshift.sql import SqlSession, literal, open_session
from sluice.connectors.redshift.types import RedshiftType, redshift_type
from sluice.connectors.warehouse.fields import insert_field

_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_internal", "pg_toast", "pg_automv")


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a Redshift table."""

    name: str
    type: RedshiftType
    nullable: bool
    default: str | None = None


def session_for(profile: ProfileView) -> SqlSession:
    """A SQL session for the profile (as runs open it)."""
    return open_session(read_settings(profile.properties, profile.credentials), profile.aws)


def split_object(name: str) -> tuple[str, str]:
    """`schema.table` -> (schema, table); a bare table is in `public`."""
    text = name.strip()
    schema, dot, table = text.partition(".")
    if not dot:
        schema, table = "public", text
    schema, table = schema.strip().strip('"'), table.strip().strip('"')
    if not schema or not table:
        raise ConnectorError("InvalidArgument", f"{name!r} is not a Redshift table name (schema.table)")
    return schema, table


def table_columns(session: SqlSession, name: str) -> tuple[str, str, list[TableColumn]]:
    """The columns of table `name` in order, with the schema and table as the database spells them.

    Redshift folds unquoted names to lower case, so a name not found as given is looked up
    lower-cased; `ResourceNotFound` when neither exists.
    """
    schema, table = split_object(name)
    for s, t in dict.fromkeys(((schema, table), (schema.lower(), table.lower()))):
        rows = session.query(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, "
            "is_nullable, column_default FROM information_schema.columns "
            f"WHERE table_schema = {literal(s)} AND table_name = {literal(t)} ORDER BY ordinal_position")
        if rows:
            return s, t, [
                TableColumn(str(r[0]), redshift_type(str(r[1]), _int(r[2]), _int(r[3]), _int(r[4])),
                            str(r[5]).upper() == "YES", None if r[6] is None else str(r[6]))
                for r in rows
            ]
    raise ConnectorError("ResourceNotFound", f"the Redshift table {schema}.{table} does not exist")


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


class RedshiftMetadata:
    """`MetadataProvider` for Redshift."""

    def list_entities(self, profile: ProfileView, parent: str | None, max_results: int | None,
                      next_token: str | None) -> EntityPage:
        session = session_for(profile)
        try:
            if not parent:
                excluded = ", ".join(literal(s) for s in _SYSTEM_SCHEMAS)
                rows = session.query("SELECT DISTINCT table_schema FROM information_schema.tables "
                                     f"WHERE table_schema NOT IN ({excluded}) ORDER BY 1")
                entities = [{"name": str(r[0]), "label": str(r[0]), "hasNestedEntities": True} for r in rows]
                return entity_page(entities, max_results, next_token, "redshift-schemas")
            schema = parent.strip().strip('"')
            rows = session.query("SELECT table_name FROM information_schema.tables "
                                 f"WHERE table_schema = {literal(schema)} ORDER BY 1")
            entities = [{"name": f"{schema}.{r[0]}", "label": str(r[0]), "hasNestedEntities": False} for r in rows]
            return entity_page(entities, max_results, next_token, f"redshift-tables:{schema}")
        finally:
            session.close()

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        session = session_for(profile)
        try:
            _, _, columns = table_columns(session, entity_name)
        finally:
            session.close()
        return [entity_field(c) for c in columns]


def entity_field(column: TableColumn) -> dict[str, Any]:
    """One `ConnectorEntityField` for a table column."""
    details: dict[str, Any] = {"fieldType": column.type.field_type, "filterOperators": []}
    if column.type.name == "boolean":
        details["supportedValues"] = ["true", "false"]
    if column.type.length:
        details["fieldLengthRange"] = {"minimum": 0, "maximum": column.type.length}
    return insert_field(column.name, details, description=column.type.sql, nullable=column.nullable,
                        defaulted=column.default is not None)


def check_profile(profile: ProfileView) -> Mapping[str, Any]:
    """`ConnectorSpec.check_profile`: connect and run `SELECT 1`; the credentials to store."""
    settings = read_settings(profile.properties, profile.credentials)
    if not settings.bucket or not settings.copy_role_arn:
        raise ConnectorError("InvalidArgument", "a Redshift profile needs bucketName and roleArn")
    session = open_session(settings, profile.aws)
    try:
        rows = session.query("SELECT 1")
    finally:
        session.close()
    if not rows or str(rows[0][0]) != "1":
        raise ConnectorError("ServerError", "Redshift did not answer SELECT 1")
    return dict(profile.credentials)
