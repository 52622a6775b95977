"""Writing records to an SAP OData entity set (connectors layer, SAP OData).

`SAPODataDestinationProperties.writeOperationType`:

* INSERT - `POST <EntitySet>` with the record (properties SAP marks `sap:creatable="false"` left
  out); SAP answers the created entry, whose key and URI are the record's success response;
* UPDATE - `MERGE <EntitySet>(<key>)` (V2; `PATCH` in V4) with the record's other properties,
  the key taken from `idFieldNames` (default: the entity type's key properties; they must be
  the key properties, as OData addresses an entry only by its key);
* UPSERT - OData has no upsert: the update is sent first and the records SAP does not find
  (404) are created with INSERT, in a second `$batch`.

Records go in `$batch` requests of `CHUNK` change sets (changesets.py), one record per change set,
so each record has its own outcome. Modifying requests need SAP's CSRF token: the writer fetches
one (`GET <service>/` with `X-CSRF-Token: Fetch`) before the first batch and sends it with the
session cookies (the client's cookie jar keeps them); a 403 answering `X-CSRF-Token: Required`
(the session timed out) fetches a new one and sends the batch again, once.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.destination import RecordResult, WritePlan
from sluice.connectors.rest.entities import Field
from sluice.connectors.sapodata import changesets, values
from sluice.connectors.sapodata.api import logon_params
from sluice.connectors.sapodata.catalog import SapEntity

CHUNK = 100


@dataclass(frozen=True, slots=True)
class SapResult(RecordResult):
    """A record's outcome with what SAP answered for it (the success response AppFlow keeps)."""

    key: Mapping[str, Any] | None = None
    uri: str | None = None
    status: int = 0
    response: Any = None


def key_literal(field: Field | None, value: Any, v4: bool) -> str:
    """A key property's value inside a key predicate (`'0500000001'`, `42`, `guid'...'`)."""
    edm = field.vendor_type if field is not None else "Edm.String"
    wire = values.to_wire(field, value, v4) if field is not None else value
    if edm in ("Edm.Int16", "Edm.Int32", "Edm.Byte", "Edm.SByte"):
        return str(wire)
    if edm == "Edm.Int64":
        return f"{wire}" if v4 else f"{wire}L"
    if edm == "Edm.Decimal":
        return f"{wire}" if v4 else f"{wire}M"
    if edm == "Edm.Guid":
        return str(wire) if v4 else f"guid'{wire}'"
    if edm in ("Edm.DateTime", "Edm.DateTimeOffset") and not v4:
        from sluice.connectors.odata.filters import literal

        return literal(field, str(value), v4) or f"'{value}'"  # type: ignore[arg-type]
    return "'" + str(wire).replace("'", "''") + "'"


def key_predicate(entity: SapEntity, key: Mapping[str, Any]) -> str:
    """`(<key>)` or `(Name=<key>,...)`, percent-encoded for the request line."""
    v4 = entity.service.v4
    info = entity.info
    if len(info.keys) == 1:
        inside = key_literal(info.field(info.keys[0]), key[info.keys[0]], v4)
    else:
        inside = ",".join(f"{k}={key_literal(info.field(k), key[k], v4)}" for k in info.keys)
    return "(" + quote(inside, safe="'=,:.-_~()") + ")"


class SapWriter:
    """`rest.destination.Writer` for SAP OData entity sets (see the module docstring)."""

    chunk_size = CHUNK

    def __init__(self) -> None:
        # CSRF token per client (one client serves one run's writes).
        self._tokens: weakref.WeakKeyDictionary[RestClient, str] = weakref.WeakKeyDictionary()

    def check(self, plan: WritePlan) -> None:
        entity = plan.entity
        assert isinstance(entity, SapEntity)
        keys = entity.info.keys
        if plan.operation == "INSERT":
            return
        if plan.operation not in ("UPDATE", "UPSERT"):
            raise ConnectorError("InvalidArgument", f"SAP OData destinations take INSERT, UPDATE or UPSERT, not "
                                 f"{plan.operation}")
        if plan.id_fields and set(plan.id_fields) != set(keys):
            raise ConnectorError("InvalidArgument", f"{plan.operation} of {entity.name} addresses records by the "
                                 f"entity's key ({', '.join(keys)}); idFieldNames must name exactly those fields, "
                                 f"not {', '.join(plan.id_fields)}")

    def send(self, client: RestClient, plan: WritePlan, records: list[dict[str, Any]]) -> list[RecordResult]:
        entity = plan.entity
        assert isinstance(entity, SapEntity)
        if plan.operation == "INSERT":
            return list(self._run(client, entity, [self._create(entity, r) for r in records], records, "INSERT"))
        results: list[RecordResult | None] = [None] * len(records)
        keyed = []
        for index, record in enumerate(records):
            missing = [k for k in entity.info.keys if record.get(k) in (None, "")]
            if missing and plan.operation == "UPDATE":
                results[index] = SapResult(False, code="MissingKey", message=f"the record has no {', '.join(missing)}")
            elif missing:
                results[index] = None  # UPSERT without a key: created below
            else:
                keyed.append(index)
        if keyed:
            updates = [self._update(entity, records[i]) for i in keyed]
            for index, result in zip(keyed, self._run(client, entity, updates, [records[i] for i in keyed], "UPDATE"),
                                     strict=True):
                results[index] = result
        if plan.operation == "UPSERT":
            creating = [i for i, r in enumerate(results) if r is None or (
                not r.ok and isinstance(r, SapResult) and r.status == 404)]
            if creating:
                inserts = [self._create(entity, records[i]) for i in creating]
                for index, result in zip(creating, self._run(client, entity, inserts,
                                                             [records[i] for i in creating], "INSERT"), strict=True):
                    results[index] = result
        return [r if r is not None else SapResult(False, code="NoResult", message="SAP reported nothing")
                for r in results]

    # -- operations -----------------------------------------------------------------------------

    def _body(self, entity: SapEntity, record: Mapping[str, Any], creating: bool) -> dict[str, Any]:
        v4 = entity.service.v4
        body: dict[str, Any] = {}
        for name, value in record.items():
            field = entity.info.field(name)
            if field is None:
                continue  # not a property of the entity type (SAP would refuse the whole record)
            if field.primary_key and not creating:
                continue
            if creating and not field.creatable and not field.primary_key:
                continue
            if not creating and not field.updatable:
                continue
            body[name] = values.to_wire(field, value, v4)
        return body

    def _create(self, entity: SapEntity, record: Mapping[str, Any]) -> changesets.Operation:
        return changesets.Operation("POST", entity.info.name, self._body(entity, record, True))

    def _update(self, entity: SapEntity, record: Mapping[str, Any]) -> changesets.Operation:
        key = {k: record[k] for k in entity.info.keys}
        method = "PATCH" if entity.service.v4 else "MERGE"
        return changesets.Operation(method, entity.info.name + key_predicate(entity, key),
                                    self._body(entity, record, False))

    # -- sending --------------------------------------------------------------------------------

    def _token(self, client: RestClient, entity: SapEntity, renew: bool = False) -> str:
        token = self._tokens.get(client)
        if token is None or renew:
            answer = client.call(Request("GET", f"{entity.root}/", dict(logon_params(client.profile)),
                                         headers={"X-CSRF-Token": "Fetch"}))
            token = answer.response.headers.get("X-CSRF-Token") or ""
            if not token or token.lower() == "required":
                raise ConnectorError("AccessDenied", "SAP answered no CSRF token (X-CSRF-Token: Fetch); the user "
                                     "may lack the authorization to change data through the service")
            self._tokens[client] = token
        return token

    def _run(self, client: RestClient, entity: SapEntity, operations: Sequence[changesets.Operation],
             records: Sequence[Mapping[str, Any]], operation: str) -> list[SapResult]:
        body, content_type = changesets.request_body(operations)
        answer = None
        for attempt in (1, 2):
            request = Request("POST", f"{entity.root}/$batch", dict(logon_params(client.profile)), content=body,
                              headers={"Content-Type": content_type, "Accept": "multipart/mixed",
                                       "X-CSRF-Token": self._token(client, entity, renew=attempt == 2)})
            answer = client.call(request, expect=(202, 200, 403))
            if answer.response.status_code != 403:
                break
            if (answer.response.headers.get("X-CSRF-Token") or "").lower() != "required" or attempt == 2:
                raise ConnectorError("AccessDenied", f"SAP refused the $batch to {entity.name}: "
                                     f"{answer.response.text.strip()[:200] or 'HTTP 403'}")
        assert answer is not None
        try:
            outcomes = changesets.parse_answer(answer.response.content,
                                               answer.response.headers.get("Content-Type", ""), len(operations))
        except ValueError as exc:
            raise ConnectorError("ServerError", f"SAP's $batch answer could not be read ({exc})") from None
        return [_result(entity, outcome, record, operation) for outcome, record in zip(outcomes, records, strict=True)]


def _result(entity: SapEntity, outcome: changesets.Outcome, record: Mapping[str, Any], operation: str) -> SapResult:
    keys = entity.info.keys
    if 200 <= outcome.status < 300:
        entry = outcome.body.get("d") if isinstance(outcome.body, Mapping) and "d" in outcome.body else outcome.body
        entry = entry if isinstance(entry, Mapping) else None
        source = entry if entry is not None else record
        key = {k: source.get(k) for k in keys}
        uri = None
        if entry is not None and isinstance(entry.get("__metadata"), Mapping):
            uri = entry["__metadata"].get("uri")
        uri = uri or outcome.headers.get("location")
        shown = None
        if entry is not None:
            shown = {k: v for k, v in entry.items() if k != "__metadata" and not (
                isinstance(v, Mapping) and "__deferred" in v)}
        return SapResult(True, id=",".join(str(v) for v in key.values()), key=key, uri=uri, status=outcome.status,
                         response=shown)
    code, message = f"HTTP_{outcome.status}", ""
    body = outcome.body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        code = str(error.get("code") or code)
        text = error.get("message")
        message = str(text.get("value") if isinstance(text, Mapping) else text or "")
    elif isinstance(body, str):
        message = body.strip()[:300]
    return SapResult(False, code=code, message=message or f"SAP answered HTTP {outcome.status} for the {operation}",
                     status=outcome.status)
