"""Zendesk objects' fields (connectors layer, Zendesk): the documented attributes plus the account's custom fields.

The standard attributes follow the JSON formats of Zendesk's Tickets, Users, Organizations,
Groups, Ticket Fields and User Fields references. Custom fields are read from the account
(`GET /api/v2/ticket_fields`, `GET /api/v2/user_fields`) and offered as columns of their own:

* a ticket's `custom_fields: [{id, value}]` entry becomes the column `custom_field_<id>`
  (labelled with the field's title);
* a user's `user_fields: {key: value}` member becomes `user_field_<key>`;

typed from the custom field's Zendesk type (`integer`, `decimal`, `checkbox`, `date`,
`multiselect`; the rest are text). `custom_fields` / `user_fields` stay as columns too (JSON text,
since their values' types vary). Writing maps the columns back (writer.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.entities import Field

if TYPE_CHECKING:
    from sluice.connectors.rest.client import RestClient
    from sluice.connectors.rest.entities import Entity

TICKET_PREFIX = "custom_field_"
USER_PREFIX = "user_field_"
READ_ONLY = frozenset({"url", "created_at", "updated_at", "generated_timestamp"})


def _f(name: str, kind: str = "string", **options: Any) -> Field:
    return Field(name, kind, **options)


def _writable(fields: Sequence[Field]) -> tuple[Field, ...]:
    """The fields with every one but the id and the read-only ones marked creatable and updatable."""
    return tuple(f if f.name in READ_ONLY or f.primary_key else replace(f, creatable=True, updatable=True)
                 for f in fields)


ID = _f("id", "integer", primary_key=True, nullable=False, label="ID")
UPDATED = _f("updated_at", "datetime", timestamp=True, label="Updated at")
CREATED = _f("created_at", "datetime", label="Created at")
INTS = _f("", "integer")
TEXTS = _f("")

VIA = _f("via", "struct", members=(_f("channel"), _f("source", "json")))
RATING = _f("satisfaction_rating", "struct", members=(_f("id", "integer"), _f("score"), _f("comment")))
PHOTO = _f("photo", "json")

TICKETS = (ID, _f("url"), _f("external_id"), _f("type", values=("problem", "incident", "question", "task")),
           _f("subject"), _f("raw_subject"), _f("description"),
           _f("priority", values=("urgent", "high", "normal", "low")),
           _f("status", values=("new", "open", "pending", "hold", "solved", "closed")), _f("recipient"),
           _f("requester_id", "integer"), _f("submitter_id", "integer"), _f("assignee_id", "integer"),
           _f("organization_id", "integer"), _f("group_id", "integer"),
           _f("collaborator_ids", "array", item=INTS), _f("follower_ids", "array", item=INTS),
           _f("email_cc_ids", "array", item=INTS), _f("forum_topic_id", "integer"), _f("problem_id", "integer"),
           _f("has_incidents", "boolean"), _f("is_public", "boolean"), _f("due_at", "datetime"),
           _f("tags", "array", item=TEXTS), VIA, _f("custom_fields", "json"), RATING,
           _f("sharing_agreement_ids", "array", item=INTS), _f("followup_ids", "array", item=INTS),
           _f("ticket_form_id", "integer"), _f("brand_id", "integer"), _f("allow_channelback", "boolean"),
           _f("allow_attachments", "boolean"), _f("from_messaging_channel", "boolean"),
           _f("generated_timestamp", "integer"), CREATED, UPDATED)

USERS = (ID, _f("url"), _f("name"), _f("email"), _f("alias"), _f("external_id"), _f("phone"),
         _f("shared_phone_number", "boolean"), PHOTO, _f("locale_id", "integer"), _f("locale"),
         _f("time_zone"), _f("iana_time_zone"), _f("organization_id", "integer"),
         _f("role", values=("end-user", "agent", "admin")), _f("role_type", "integer"),
         _f("custom_role_id", "integer"), _f("default_group_id", "integer"), _f("verified", "boolean"),
         _f("active", "boolean"), _f("shared", "boolean"), _f("shared_agent", "boolean"),
         _f("suspended", "boolean"), _f("moderator", "boolean"), _f("restricted_agent", "boolean"),
         _f("only_private_comments", "boolean"), _f("ticket_restriction"), _f("two_factor_auth_enabled", "boolean"),
         _f("report_csv", "boolean"), _f("signature"), _f("details"), _f("notes"), _f("tags", "array", item=TEXTS),
         _f("user_fields", "json"), _f("last_login_at", "datetime"), CREATED, UPDATED)

ORGANIZATIONS = (ID, _f("url"), _f("name"), _f("external_id"), _f("details"), _f("notes"),
                 _f("domain_names", "array", item=TEXTS), _f("group_id", "integer"),
                 _f("shared_tickets", "boolean"), _f("shared_comments", "boolean"), _f("tags", "array", item=TEXTS),
                 _f("organization_fields", "json"), CREATED, UPDATED)

GROUPS = (ID, _f("url"), _f("name"), _f("description"), _f("default", "boolean"), _f("deleted", "boolean"),
          _f("is_public", "boolean"), CREATED, UPDATED)

_FIELD_COMMON = (ID, _f("url"), _f("type"), _f("title"), _f("raw_title"), _f("description"),
                 _f("raw_description"), _f("position", "integer"), _f("active", "boolean"),
                 _f("regexp_for_validation"), _f("tag"), _f("custom_field_options", "json"), CREATED, UPDATED)
TICKET_FIELDS = (*_FIELD_COMMON, _f("required", "boolean"), _f("collapsed_for_agents", "boolean"),
                 _f("title_in_portal"), _f("visible_in_portal", "boolean"), _f("editable_in_portal", "boolean"),
                 _f("required_in_portal", "boolean"), _f("removable", "boolean"), _f("agent_description"))
USER_FIELDS = (*_FIELD_COMMON, _f("key"), _f("system", "boolean"))

WRITABLE = {"tickets": _writable(TICKETS), "users": _writable(USERS), "organizations": _writable(ORGANIZATIONS)}

# Zendesk custom field types -> the layer's types.
CUSTOM_TYPES = {"integer": "integer", "decimal": "double", "checkbox": "boolean", "date": "date"}


def custom_field(kind: str, name: str, label: str, path: str = "", writable: bool = True) -> Field:
    """A column for one custom field of Zendesk type `kind`."""
    options: dict[str, Any] = {"label": label, "path": path, "vendor_type": kind,
                               "creatable": writable, "updatable": writable}
    if kind == "multiselect":
        return Field(name, "array", item=TEXTS, **options)
    return Field(name, CUSTOM_TYPES.get(kind, "string"), **options)


def ticket_custom(definitions: Sequence[Mapping[str, Any]]) -> list[Field]:
    """Columns for the account's custom ticket fields (system fields have `removable: false`)."""
    return [custom_field(str(d.get("type")), f"{TICKET_PREFIX}{d['id']}", str(d.get("title") or d["id"]))
            for d in definitions if d.get("removable", True) and d.get("id") is not None]


def user_custom(definitions: Sequence[Mapping[str, Any]]) -> list[Field]:
    """Columns for the account's custom user fields."""
    return [custom_field(str(d.get("type")), f"{USER_PREFIX}{d['key']}", str(d.get("title") or d["key"]),
                         path=f"user_fields.{d['key']}") for d in definitions if d.get("key")]


def _all(client: RestClient, path: str, key: str) -> list[Mapping[str, Any]]:
    """Every record of a cursor-paginated list endpoint."""
    found: list[Mapping[str, Any]] = []
    params: dict[str, Any] = {"page[size]": 100}
    while True:
        body = client.get(path, **params)
        if not isinstance(body, Mapping):
            raise ConnectorError("ServerError", f"Zendesk answered GET {path} with a body that is not an object")
        found += [d for d in body.get(key) or [] if isinstance(d, Mapping)]
        meta = body.get("meta") or {}
        if not meta.get("has_more") or not meta.get("after_cursor"):
            return found
        params = {"page[size]": 100, "page[after]": meta["after_cursor"]}


def describe_tickets(client: RestClient, entity: Entity) -> list[Field]:
    """Ticket fields: the documented ones plus the account's custom ticket fields."""
    return [*entity.fields, *ticket_custom(_all(client, "/api/v2/ticket_fields.json", "ticket_fields"))]


def describe_users(client: RestClient, entity: Entity) -> list[Field]:
    """User fields: the documented ones plus the account's custom user fields."""
    return [*entity.fields, *user_custom(_all(client, "/api/v2/user_fields.json", "user_fields"))]


def flatten_ticket(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ticket with each `custom_fields` entry also as `custom_field_<id>` (source side)."""
    custom = record.get("custom_fields")
    if not isinstance(custom, list):
        return record
    # Answers are parsed afresh for each page and read once: adding keys in place saves a copy.
    flat = record if isinstance(record, dict) else dict(record)
    for entry in custom:
        if isinstance(entry, Mapping) and entry.get("id") is not None:
            flat[f"{TICKET_PREFIX}{entry['id']}"] = entry.get("value")
    return flat
