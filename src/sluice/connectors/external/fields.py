"""A stream's JSON schema as typed entity fields (connectors layer, Airbyte/Singer runner).

Each top-level property of the stream's `json_schema` (Airbyte) or `schema` (Singer) becomes one
field of the shared REST layer's `Field`, so `DescribeConnectorEntity` answers and records turn
into Arrow exactly as for every SaaS connector (`rest.metadata.entity_field`,
`rest.records.RecordConverter`):

* `string` - text; with `format: date-time` (or Airbyte's `airbyte_type: timestamp_with_timezone`
  / `timestamp_without_timezone`) a UTC timestamp; with `format: date` a date;
* `integer` (or `number` with `airbyte_type: integer`) - int64; `number` - double;
  `boolean` - bool;
* `object`, `array`, `oneOf`/`anyOf` choices and properties of no or several types - the value
  kept whole as JSON text (nested shapes change from record to record in many sources).

`["null", T]` is T (every field is nullable). The stream's primary key marks `isPrimaryKey`; its
default cursor (Airbyte `default_cursor_field`, Singer `valid-replication-keys`) is offered as the
field for incremental queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.external.protocols import Stream
from sluice.connectors.rest.entities import Field

_TIMESTAMPS = {"timestamp_with_timezone", "timestamp_without_timezone"}


def field_type(schema: Mapping[str, Any]) -> str:
    """The REST layer's type of one property's schema."""
    if not isinstance(schema, Mapping) or schema.get("oneOf") or schema.get("anyOf"):
        return "json"
    declared = schema.get("type")
    kinds = [k for k in (declared if isinstance(declared, list) else [declared]) if k and k != "null"]
    if len(kinds) != 1:
        return "json"
    kind = kinds[0]
    airbyte_type = schema.get("airbyte_type")
    if kind == "string":
        if schema.get("format") == "date-time" or airbyte_type in _TIMESTAMPS:
            return "datetime"
        if schema.get("format") == "date" or airbyte_type == "date":
            return "date"
        return "string"
    if kind == "integer" or (kind == "number" and airbyte_type == "integer"):
        return "integer"
    if kind == "number":
        return "double"
    if kind == "boolean":
        return "boolean"
    return "json"


def fields_of(stream: Stream) -> list[Field]:
    """The fields of a stream, in its schema's order."""
    properties = stream.schema.get("properties") or {}
    cursor = stream.cursor[0] if len(stream.cursor) == 1 else None
    fields = []
    for name, schema in properties.items():
        kind = field_type(schema)
        description = str(schema.get("description") or "") if isinstance(schema, Mapping) else ""
        fields.append(Field(name=str(name), type=kind, label=str(name), description=description[:256],
                            primary_key=name in stream.primary_key, timestamp=name == cursor and kind == "datetime"))
    return fields
