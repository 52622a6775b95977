"""The Account Engagement (Pardot) API v5 objects Sluice reads, and their push-down (connectors layer, Pardot).

Each object is queried with `GET /api/v5/objects/<object>` (https://developer.salesforce.com/docs/marketing/
pardot/guide/version5overview.html): `fields=` names the fields to return (v5 returns only those; a
nested object's members are named `campaign.id`), `limit` (at most 1000) sizes a page, `orderBy`
sorts, and the answer's `values` hold the records while `nextPageToken` / `nextPageUrl` name the next
page (the URL carries the query on; nothing else is sent with it). Filters are query parameters:
`createdAtAfter`, `createdAtBeforeOrEqualTo`, `updatedAtAfter`, `updatedAtBeforeOrEqualTo` (and the
other `After`/`Before`/`OrEqualTo` forms), `idGreaterThanOrEqualTo` / `idLessThanOrEqualTo`, and
`deleted` (`true`, `false` or `all`).

`plan` pushes down what those can say: the projection as `fields=`, the incremental window and
BETWEEN/GREATER/LESS bounds on `createdAt` / `updatedAt`, EQUAL_TO on `id` (as an id range of one),
on `createdAt` / `updatedAt` and on `isDeleted` (as `deleted=`). The engine still applies every
task; the source keeps records inside the window only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Query
from sluice.connectors.rest.paging import NextUrl

PAGE_SIZE = 1000  # v5's largest `limit`
TIMES = ("createdAt", "updatedAt")


def instant(seconds: float, up: bool) -> str:
    """Epoch seconds as v5's ISO 8601 text, whole seconds (rounded outwards: the source trims exactly)."""
    whole = math.ceil(seconds) if up else math.floor(seconds)
    return datetime.fromtimestamp(whole, UTC).isoformat()


def fields_param(columns: Sequence[str], entity_fields: Sequence[Field]) -> str:
    """`fields=`: each projected field; a struct as its members (`campaign.id,campaign.name`)."""
    by_name = {f.name: f for f in entity_fields}
    names: list[str] = []
    for column in columns:
        field = by_name.get(column)
        if field is not None and field.type == "struct" and field.members:
            names += [f"{column}.{member.name}" for member in field.members]
        else:
            names.append(column)
    return ",".join(dict.fromkeys(names))


def plan(query: Query, request: Request) -> Request:
    """The first page's request with the query pushed down (see the module docstring)."""
    entity = next((e for e in OBJECTS if e.name == query.entity), None)
    params = dict(request.params)
    declared = entity.fields if entity is not None else ()
    columns = list(query.columns) or [f.name for f in declared]
    if "id" not in columns:
        columns.insert(0, "id")
    params["fields"] = fields_param(columns, declared)
    params["orderBy"] = "id asc"
    for name in TIMES:
        lower, upper = query.time_range(name)
        for condition in query.on(name):
            if condition.operator == "EQUAL_TO" and condition.values:
                equal = _seconds(condition.values[0])
                if equal is not None:
                    params[f"{name}AfterOrEqualTo"] = instant(equal, up=False)
                    params[f"{name}BeforeOrEqualTo"] = instant(equal, up=True)
        if lower is not None:
            params[f"{name}After"] = instant(lower, up=False)
        if upper is not None:
            params[f"{name}BeforeOrEqualTo"] = instant(upper, up=True)
    for condition in query.on("id"):
        if condition.operator == "EQUAL_TO" and condition.values and condition.values[0].strip().lstrip("-").isdigit():
            params["idGreaterThanOrEqualTo"] = params["idLessThanOrEqualTo"] = condition.values[0].strip()
    for condition in query.on("isDeleted"):
        if condition.operator == "EQUAL_TO" and condition.values:
            params["deleted"] = "true" if condition.values[0].strip().lower() == "true" else "false"
    return request.replace(params=params)


def _seconds(text: str) -> float | None:
    from sluice.literals import parse_micros

    micros = parse_micros(text)
    return None if micros is None else micros / 1_000_000


def _id() -> Field:
    return Field("id", "integer", primary_key=True, nullable=False, label="ID")


def _times() -> tuple[Field, ...]:
    return (Field("createdAt", "datetime", label="Created At", timestamp=True),
            Field("updatedAt", "datetime", label="Updated At", timestamp=True))


def _text(*names: str) -> tuple[Field, ...]:
    return tuple(Field(name) for name in names)


def _ints(*names: str) -> tuple[Field, ...]:
    return tuple(Field(name, "integer") for name in names)


def _flags(*names: str) -> tuple[Field, ...]:
    return tuple(Field(name, "boolean") for name in names)


CAMPAIGN_REF = Field("campaign", "struct", label="Campaign", members=(Field("id", "integer"), Field("name")),
                     description="The campaign the record belongs to (null when none)")
USER_REF = Field("assignedUser", "struct", label="Assigned User",
                 members=(Field("id", "integer"), Field("email"), Field("firstName"), Field("lastName")))


def _object(name: str, label: str, fields: Sequence[Field]) -> Entity:
    return Entity(name, label=label, path=f"/api/v5/objects/{name}", records="values", fields=tuple(fields),
                  paginator=NextUrl("nextPageUrl", size_param="limit", size=PAGE_SIZE), plan=plan)


PROSPECTS = _object("prospects", "Prospects", (
    _id(), *_text("email", "salutation", "firstName", "lastName", "jobTitle", "company", "website", "phone",
                  "city", "state", "country", "zip", "industry", "source", "grade", "salesforceId",
                  "notes", "annualRevenue", "employees"),
    Field("score", "integer"), *_ints("campaignId", "prospectAccountId", "assignedToId"),
    *_flags("isDoNotEmail", "isDoNotCall", "optedOut", "isReviewed", "isStarred", "isDeleted"),
    Field("lastActivityAt", "datetime"), CAMPAIGN_REF, USER_REF, *_times()))
CAMPAIGNS = _object("campaigns", "Campaigns", (
    _id(), Field("name"), Field("cost", "integer"), *_ints("folderId", "createdById", "updatedById"),
    Field("salesforceId"), Field("isDeleted", "boolean"), *_times()))
LISTS = _object("lists", "Lists", (
    _id(), *_text("name", "title", "description"), *_flags("isDynamic", "isPublic", "isDeleted"),
    *_ints("folderId", "campaignId"), *_times()))
LIST_MEMBERSHIPS = _object("list-memberships", "List Memberships", (
    _id(), *_ints("listId", "prospectId", "createdById", "updatedById"), *_flags("optedOut", "isDeleted"),
    *_times()))
VISITORS = _object("visitors", "Visitors", (
    _id(), *_ints("prospectId", "pageViewCount", "campaignId"), *_text("ipAddress", "hostname"),
    Field("isIdentified", "boolean"), CAMPAIGN_REF, *_times()))
VISITOR_ACTIVITIES = _object("visitor-activities", "Visitor Activities", (
    _id(), Field("type", "integer"), *_text("typeName", "details"),
    *_ints("prospectId", "visitorId", "campaignId", "emailId", "formId", "listEmailId"), CAMPAIGN_REF, *_times()))
OPPORTUNITIES = _object("opportunities", "Opportunities", (
    _id(), *_text("name", "stage", "status", "type", "salesforceId"), Field("value", "double"),
    Field("probability", "integer"), Field("closedAt", "datetime"), Field("campaignId", "integer"), CAMPAIGN_REF,
    *_times()))
FORMS = _object("forms", "Forms", (
    _id(), *_text("name", "embedCode", "salesforceId"), *_ints("campaignId", "folderId", "layoutTemplateId"),
    Field("isDeleted", "boolean"), *_times()))
LIST_EMAILS = _object("list-emails", "List Emails", (
    _id(), *_text("name", "subject"), *_ints("campaignId", "folderId", "emailTemplateId"),
    *_flags("isSent", "isPaused", "isDeleted"), Field("sentAt", "datetime"), *_times()))
USERS = _object("users", "Users", (
    _id(), *_text("email", "username", "firstName", "lastName", "jobTitle", "role", "salesforceId"),
    Field("isDeleted", "boolean"), *_times()))
TAGS = _object("tags", "Tags", (_id(), Field("name"), Field("objectCount", "integer"), *_times()))

OBJECTS = (PROSPECTS, CAMPAIGNS, LISTS, LIST_MEMBERSHIPS, VISITORS, VISITOR_ACTIVITIES, OPPORTUNITIES, FORMS,
           LIST_EMAILS, USERS, TAGS)

# v5 custom field `type` -> the layer's type; other types (multi-select, checkbox lists) are arrays or
# text whose shape varies: kept as JSON text.
CUSTOM_TYPES = {"Text": "string", "Textarea": "string", "Dropdown": "string", "Radio Button": "string",
                "Number": "double", "Date": "date", "Hidden": "string", "CRM User": "string"}


def describe_prospects(client: RestClient, entity: Entity) -> list[Field]:
    """The prospect fields, plus the business unit's custom prospect fields read live (`custom-fields`)."""
    fields = list(entity.fields)
    request = Request("GET", "/api/v5/objects/custom-fields",
                      {"fields": "id,name,fieldId,type,isRecordMultipleResponses", "limit": PAGE_SIZE})
    next_request: Request | None = request
    pager = NextUrl("nextPageUrl")
    while next_request is not None:
        answer = client.call(next_request)
        body = answer.body if isinstance(answer.body, dict) else {}
        values = body.get("values") or []
        for custom in values:
            name = str(custom.get("fieldId") or "")
            if not name or any(f.name == name for f in fields):
                continue
            kind = "json" if custom.get("isRecordMultipleResponses") else CUSTOM_TYPES.get(str(custom.get("type")),
                                                                                          "json")
            fields.append(Field(name, kind, label=str(custom.get("name") or name), vendor_type=str(custom.get("type")),
                                description="A custom prospect field"))
        next_request = pager.next(next_request, answer, len(values))
    return fields


PROSPECTS = replace(PROSPECTS, describe=describe_prospects)
OBJECTS = (PROSPECTS, *OBJECTS[1:])
