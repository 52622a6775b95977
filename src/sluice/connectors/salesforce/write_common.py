"""What the Salesforce destination's two write paths share (connectors layer).

`WritePlan` says what to send (object, operation, id / external-id field), `Progress` counts what
Salesforce accepted and keeps the ids of written records (spilled to a temporary file, so a
million ids do not sit in memory), and the value helpers turn Arrow values into the two wire
forms: JSON values for sObject Collections and CSV text for Bulk API 2.0.

Value rules (both APIs): timestamps are sent in UTC as `2024-01-31T10:00:00.000Z` (a timestamp
without a time zone is taken as UTC), dates as `2024-01-31`, booleans as true/false, decimals as
numbers, lists as `a;b` (multi-select picklists), structs/maps as JSON text, binary as base64.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sluice.connectors.spooled_destination import CommitProgress

# The ids of written records stay in memory up to this size, then spill to disk.
IDS_SPILL_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WritePlan:
    """One destination's write: `operation` is the Salesforce name (insert, update, upsert, delete).

    `id_field` is the column holding Salesforce record ids (update, delete); `external_id` the
    external id field of an upsert.
    """

    object_name: str
    operation: str
    id_field: str | None = None
    external_id: str | None = None

    def record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The fields one row sends (before value conversion)."""
        if self.operation == "delete":
            return {"Id": row.get(self.id_field or "Id")}
        record = dict(row)
        if self.operation == "update" and self.id_field and self.id_field != "Id":
            record["Id"] = record.pop(self.id_field, None)
        if self.operation in {"insert", "upsert"} and self.external_id != "Id":
            # Salesforce refuses an Id on insert and resolves upserts by the external id alone.
            record.pop("Id", None)
        return record


@dataclass(slots=True)
class Progress(CommitProgress):
    """Counts of one commit: records Salesforce wrote and refused, bytes sent, written ids."""

    _ids: Any = field(default=None, repr=False)

    def wrote(self, record_id: str | None) -> None:
        """Count one written record and remember its id."""
        self.written += 1
        if record_id:
            if self.first_id is None:
                self.first_id = record_id
            self.last_id = record_id
        if self._ids is None:
            # Lives for the whole commit; close() releases it.
            self._ids = tempfile.SpooledTemporaryFile(max_size=IDS_SPILL_BYTES, mode="w+b")  # noqa: SIM115
        self._ids.write((record_id or "").encode() + b"\n")

    def written_rows(self) -> Iterator[dict[str, str]]:
        """`{"Id": ...}` per written record, in the order Salesforce confirmed them."""
        if self._ids is None:
            return
        self._ids.seek(0)
        for line in self._ids:
            yield {"Id": line.decode().rstrip("\n")}
        self._ids.seek(0, 2)

    def close(self) -> None:
        """Release the id buffer."""
        if self._ids is not None:
            self._ids.close()
            self._ids = None


def _utc_text(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _number(value: Decimal) -> int | float:
    # JSON has no decimal type; integral values stay exact, others become doubles (as Salesforce
    # stores currency/percent/double fields, 18 significant digits at most).
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    return float(value)


def json_value(value: Any) -> Any:
    """A value as sObject Collections expects it in a JSON record."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list | tuple):
        return ";".join("" if item is None else str(json_value(item)) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def csv_text(value: Any) -> str:
    """A value as a Bulk API 2.0 CSV field; null is the empty field (see the destination's docs)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    converted = json_value(value)
    if isinstance(converted, float):
        return repr(converted)
    return str(converted)


def error_parts(errors: Any) -> tuple[str, str]:
    """(statusCode, message) of a Collections `errors` list (all messages joined)."""
    if not isinstance(errors, list) or not errors:
        return "UNKNOWN_EXCEPTION", "Salesforce gave no reason"
    first = errors[0] if isinstance(errors[0], Mapping) else {}
    code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN_EXCEPTION")
    messages = [str(e.get("message") or "") for e in errors if isinstance(e, Mapping)]
    return code, "; ".join(m for m in messages if m) or code
