"""insert / update / upsert / delete against the fake org, with Salesforce's per-record errors."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .errors import SalesforceError
from .schema import ADDRESS_PARTS, BY_PREFIX, FieldDef, ObjectDef, make_id, normalise_id

if TYPE_CHECKING:
    from .org import Org

ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "fields": [],
               "message": "Record rolled back because not all records were valid and the request was using AllOrNone "
                          "header"}
_CDC_ADDRESS = {part: key[0].upper() + key[1:] for part, key in ADDRESS_PARTS}  # BillingCity -> City


class RecordError(Exception):
    """A per-record failure, reported in the record's `errors` list."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or []

    def entry(self) -> dict:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def coerce(f: FieldDef, value):
    """A JSON/CSV value as stored for field `f` (CSV gives strings, so numbers and booleans parse from text)."""
    if value is None or value == "":  # Salesforce stores no empty strings: "" means null
        return None
    bad = RecordError("INVALID_TYPE_ON_FIELD_IN_RECORD", f"{f.label}: value not of required type: {value}", [f.name])
    t = f.type
    try:
        if t == "boolean":
            if isinstance(value, bool):
                return int(value)
            text = str(value).strip().lower()
            if text in ("true", "1"):
                return 1
            if text in ("false", "0"):
                return 0
            raise bad
        if t == "int":
            if isinstance(value, bool):
                raise bad
            number = float(value)
            if not number.is_integer():
                raise bad
            return int(number)
        if t in ("double", "currency", "percent"):
            if isinstance(value, bool):
                raise bad
            return round(float(value), f.scale) if f.scale else float(value)
        if t == "date":
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        if t == "datetime":
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            parsed = parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
            return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"
    except (ValueError, TypeError) as exc:
        raise bad from exc
    if isinstance(value, bool | dict | list):
        raise bad
    text = str(value)
    if f.length and len(text) > f.length:
        raise RecordError("STRING_TOO_LONG", f"{f.label}: data value too large: {text[:40]} (max length={f.length})",
                          [f.name])
    return text


class Writer:
    """One write call: validates records and applies them in a single SQLite savepoint."""

    def __init__(self, org: Org, obj: ObjectDef, operation: str):
        self.org, self.obj, self.operation = org, obj, operation
        self.db = org.db
        self.stamp = org.stamp()
        self.events: list[tuple[str, str, dict]] = []

    def fields_of(self, record: dict, creating: bool) -> dict[str, object]:
        """{canonical field name: stored value} of a record's fields, checked for existence and access."""
        values: dict[str, object] = {}
        for key, value in record.items():
            if key == "attributes":
                continue
            f = self.obj.field(key)
            if f is None:
                raise RecordError("INVALID_FIELD", f"No such column '{key}' on sobject of type {self.obj.name}", [key])
            if f.name == "Id":
                continue
            if not (f.createable if creating else f.updateable):
                raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {f.name}. "
                                  "Please check the security settings of this field and verify that it is "
                                  "read/write for your profile or permission set.", [f.name])
            values[f.name] = coerce(f, value)
        return values

    def lookup(self, record_id, field_label: str = "Id") -> dict:
        """The stored row of an Id (deleted rows too), checking its shape and key prefix."""
        rid = normalise_id(str(record_id)) if record_id else ""
        if len(rid) != 18 or not rid.isalnum() or not rid.startswith(self.obj.key_prefix):
            raise RecordError("MALFORMED_ID", f"{self.obj.label} ID: id value of incorrect type: {record_id}",
                              [field_label])
        cur = self.db.execute(f'SELECT * FROM "{self.obj.name}" WHERE "Id" = ?', (rid,))
        row = cur.fetchone()
        if row is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        found = dict(zip([d[0] for d in cur.description], row, strict=True))
        if found["IsDeleted"]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        return found

    def validate(self, values: dict, current: dict) -> None:
        """Required fields, references, the REJECT validation rule and unique external ids."""
        merged = {**current, **values}
        missing = [f.name for f in self.obj.fields if f.required and merged.get(f.name) is None]
        if missing:
            raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        for f in self.obj.fields:
            ref = values.get(f.name)
            if f.type == "reference" and ref is not None:
                target = normalise_id(str(ref))
                values[f.name] = target
                parent = BY_PREFIX.get(target[:3])
                row = parent and self.db.execute(
                    f'SELECT "IsDeleted" FROM "{parent.name}" WHERE "Id" = ?', (target,)).fetchone()
                if len(target) != 18 or parent is None or parent.name not in f.reference_to or not row:
                    raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {ref}",
                                      [f.name])
                if row[0]:
                    raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [f.name])
        for key in ("Name", "LastName"):
            if str(merged.get(key) or "").startswith("REJECT"):
                raise RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                  f"Rejected by validation rule Reject_Marked_Records: {key} starts with REJECT", [])
        ext = values.get("External_Id__c")
        if ext is not None:
            clash = self.db.execute(
                f'SELECT "Id" FROM "{self.obj.name}" WHERE "External_Id__c" = ? COLLATE NOCASE AND "IsDeleted" = 0 '
                'AND "Id" IS NOT ?', (ext, current.get("Id"))).fetchone()
            if clash:
                raise RecordError("DUPLICATE_VALUE", f"duplicate value found: External_Id__c duplicates value on "
                                  f"record with id: {clash[0]}", ["External_Id__c"])

    def insert(self, record: dict) -> str:
        if record.get("Id") or record.get("id"):
            raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"])
        values = self.fields_of(record, creating=True)
        self.validate(values, {})
        prefix = self.obj.key_prefix
        rid = make_id(prefix, self.org.next_number[prefix])
        self.org.next_number[prefix] += 1
        row = {f.name: values.get(f.name) for f in self.obj.fields if not f.compound}
        row.update(Id=rid, IsDeleted=0, CreatedDate=self.stamp, LastModifiedDate=self.stamp, SystemModstamp=self.stamp)
        for f in self.obj.fields:  # platform defaults
            if f.type == "boolean" and row.get(f.name) is None:
                row[f.name] = 0
        if self.obj.name == "Opportunity":
            row["IsWon"] = int(row.get("StageName") == "Closed Won")
        cols = self.obj.columns
        self.db.execute(f'INSERT INTO "{self.obj.name}" VALUES ({", ".join("?" for _ in cols)})',
                        [row[c] for c in cols])
        self.events.append(("CREATE", rid, {k: v for k, v in row.items() if v is not None and k not in
                                            ("Id", "IsDeleted")}))
        return rid

    def update(self, record: dict, current: dict | None = None) -> str:
        rid = record.get("Id") or record.get("id")
        if not rid and current is None:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", [])
        current = current or self.lookup(rid)
        values = self.fields_of(record, creating=False)
        self.validate(values, current)
        if self.obj.name == "Opportunity" and "StageName" in values:
            values["IsWon"] = int(values["StageName"] == "Closed Won")
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        changed.update(LastModifiedDate=self.stamp, SystemModstamp=self.stamp)
        sets = ", ".join(f'"{k}" = ?' for k in changed)
        self.db.execute(f'UPDATE "{self.obj.name}" SET {sets} WHERE "Id" = ?', [*changed.values(), current["Id"]])
        changed.pop("SystemModstamp")
        self.events.append(("UPDATE", current["Id"], changed))
        return current["Id"]

    def delete(self, record) -> str:
        rid = record if isinstance(record, str) else (record.get("Id") or record.get("id"))
        if not rid:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in a delete call", [])
        current = self.lookup(rid)
        self.db.execute(f'UPDATE "{self.obj.name}" SET "IsDeleted" = 1, "LastModifiedDate" = ?, "SystemModstamp" = ? '
                        'WHERE "Id" = ?', (self.stamp, self.stamp, current["Id"]))
        self.events.append(("DELETE", current["Id"], {}))
        return current["Id"]

    def upsert(self, record: dict, ext: FieldDef, seen: dict[str, int]) -> tuple[str, bool]:
        key = next((k for k in record if k.lower() == ext.name.lower()), None)
        value = record.get(key) if key else None
        if value is None or value == "":
            raise RecordError("MISSING_ARGUMENT", f"{ext.name} not specified", [])
        if ext.name == "Id":
            return self.update(record), False
        text = str(value)
        if seen.get(text.lower(), 0) > 1:
            raise RecordError("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {text}", [ext.name])
        ids = [r[0] for r in self.db.execute(
            f'SELECT "Id" FROM "{self.obj.name}" WHERE "{ext.name}" = ? COLLATE NOCASE AND "IsDeleted" = 0', (text,))]
        if len(ids) > 1:
            raise RecordError("DUPLICATE_EXTERNAL_ID", f"More than one record found for external id field: "
                              f"[{', '.join(ids)}]", [ext.name])
        if not ids:
            return self.insert(record), True
        return self.update(record, self.lookup(ids[0])), False


def _external_field(obj: ObjectDef, name: str | None) -> FieldDef:
    f = obj.field(name or "")
    if f is None:
        raise SalesforceError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
                              f"{name}")
    if not (f.external_id or f.name == "Id"):
        raise SalesforceError(400, "INVALID_FIELD", f"Field name provided, {f.name} is not an External ID or indexed "
                              f"field for {obj.name}")
    return f


def apply_write(org: Org, obj: ObjectDef, operation: str, records: list, external_id_field: str | None,
                all_or_none: bool) -> list[dict]:
    """Apply one write call; events are published only for what was committed."""
    if operation not in ("insert", "update", "upsert", "delete"):
        raise SalesforceError(400, "INVALID_OPERATION", f"Unsupported operation: {operation}")
    ext = _external_field(obj, external_id_field) if operation == "upsert" else None
    seen: dict[str, int] = {}
    if ext is not None:
        for r in records:
            value = next((v for k, v in r.items() if k.lower() == ext.name.lower()), None)
            if value not in (None, ""):
                seen[str(value).lower()] = seen.get(str(value).lower(), 0) + 1
    results: list[dict] = []
    with org.lock:
        writer = Writer(org, obj, operation)
        org.db.execute("SAVEPOINT sluice_write")
        try:
            for record in records:
                given = record if isinstance(record, str) else (record.get("Id") or record.get("id"))
                result: dict = {"id": given or None, "success": False, "errors": []}
                try:
                    if operation == "upsert":
                        result["id"], result["created"] = writer.upsert(record, ext, seen)  # type: ignore[arg-type]
                    else:
                        result["id"] = getattr(writer, operation)(record)
                    result["success"] = True
                except RecordError as err:
                    result["errors"] = [err.entry()]
                    if operation == "upsert":
                        result["created"] = False
                results.append(result)
            failed = any(not r["success"] for r in results)
            if all_or_none and failed:
                org.db.execute("ROLLBACK TO sluice_write")
                for r in results:
                    if r["success"]:
                        r.update(success=False, errors=[dict(ROLLED_BACK)], id=None)
                        if "created" in r:
                            r["created"] = False
                writer.events.clear()
        finally:
            org.db.execute("RELEASE sluice_write")
        for change_type, rid, fields in writer.events:
            org.events.append(obj.name, change_type, [rid], _cdc_payload(obj, fields))
    return results


def _cdc_payload(obj: ObjectDef, fields: dict) -> dict:
    """Event fields as CDC sends them: booleans as JSON booleans, address parts nested in BillingAddress."""
    out: dict = {}
    for name, value in fields.items():
        f = obj.field(name)
        if f is not None and f.type == "boolean" and value is not None:
            value = bool(value)
        if name in _CDC_ADDRESS:
            out.setdefault("BillingAddress", {})[_CDC_ADDRESS[name]] = value
        else:
            out[name] = value
    return out
