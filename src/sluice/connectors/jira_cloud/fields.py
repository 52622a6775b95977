"""Issue fields from the site's own field list (connectors layer, Jira Cloud).

`GET /rest/api/2/field` (https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-fields/)
lists every system and custom field with its `schema` (`type`, `items`, `system` / `custom`) and
its JQL `clauseNames`. Each navigable field becomes a column named by its field id (`summary`,
`status`, `customfield_10016`), labelled with its name, read from `fields.<id>` of each issue:

* `string`, `number`, `date`, `datetime` -> text, double, date, timestamp (rich-text fields -
  `description`, `environment`, textarea custom fields - are strings of wiki markup in REST API
  v2, which AppFlow's connector uses, and land as that text);
* objects that are named things -> the identifying member: `status`, `priority`, `issuetype`,
  `resolution` -> `name`; `project` -> `key`; `user` -> `accountId`; `option` -> `value`;
* `array` of strings (labels) -> a list of text; other arrays and objects (`any`, sprints,
  components, versions, comments) -> JSON text.

`id`, `key` and `self` come first; `key` and `id` identify the issue. The columns a Filter can be
pushed down for (jql.py) are the datetime / date fields and the named-thing fields, through the
field's first JQL clause name.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Field

from .api import REST

NAMED = {"status": "name", "priority": "name", "issuetype": "name", "resolution": "name",
         "securitylevel": "name", "project": "key", "user": "accountId", "option": "value"}
FIXED = (Field("id", primary_key=True, nullable=False, label="Issue ID"), Field("key", label="Issue key"),
         Field("self", label="REST URL"))
# System datetime fields that record a change: offered for incremental pulls.
CHANGE_TIMES = ("updated", "created", "resolutiondate", "statuscategorychangedate", "lastViewed")


@dataclass(frozen=True)
class IssueFields:
    """The issue columns of one site, and how each is pushed down."""

    fields: tuple[Field, ...]
    clause_of: dict[str, str]  # column -> JQL clause name
    kinds: dict[str, str]  # column -> datetime | date | name


def column(entry: Mapping[str, Any]) -> tuple[Field, str | None] | None:
    """One `/field` entry as a column and its push-down kind; None for a field issues do not carry."""
    field_id = str(entry.get("id") or "")
    if not field_id or entry.get("navigable") is False:
        return None
    declared = entry.get("schema")
    schema: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
    kind = str(schema.get("type") or "any")
    label = str(entry.get("name") or field_id)
    path = f"fields.{field_id}"
    if kind == "datetime":
        return Field(field_id, "datetime", label=label, path=path, timestamp=field_id in CHANGE_TIMES), "datetime"
    if kind == "date":
        return Field(field_id, "date", label=label, path=path), "date"
    if kind == "number":
        return Field(field_id, "double", label=label, path=path), None
    if kind == "string":
        return Field(field_id, label=label, path=path), None
    if kind in NAMED:
        member = NAMED[kind]
        return Field(field_id, label=label, path=f"{path}.{member}", vendor_type=kind,
                     description=f"{label} ({kind} {member})"), "name"
    if kind == "array" and schema.get("items") == "string":
        return Field(field_id, "array", label=label, path=path, item=Field("item")), None
    return Field(field_id, "json", label=label, path=path, vendor_type=kind), None


def issue_fields(entries: Sequence[Any]) -> IssueFields:
    """The columns of the site's `/field` answer."""
    fields: list[Field] = list(FIXED)
    clause_of: dict[str, str] = {}
    kinds: dict[str, str] = {}
    seen = {f.name for f in FIXED}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        found = column(entry)
        if found is None or found[0].name in seen:
            continue
        field, kind = found
        seen.add(field.name)
        fields.append(field)
        clauses = entry.get("clauseNames") or []
        if kind and clauses and entry.get("searchable", True):
            clause_of[field.name] = str(clauses[0])
            kinds[field.name] = kind
    return IssueFields(tuple(fields), clause_of, kinds)


# A run asks for the columns (the entity's fields) and then builds its JQL from the same list: one
# `/field` call per client serves both.
_READ: weakref.WeakKeyDictionary[RestClient, IssueFields] = weakref.WeakKeyDictionary()
_READ_LOCK = threading.Lock()


def read_issue_fields(client: RestClient) -> IssueFields:
    """The site's issue columns (`GET /rest/api/2/field`), read once per client."""
    with _READ_LOCK:
        known = _READ.get(client)
    if known is None:
        known = issue_fields(client.json(Request("GET", f"{REST}/field")) or [])
        with _READ_LOCK:
            _READ[client] = known
    return known
