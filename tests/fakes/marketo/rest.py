"""Read endpoints of the fake: Describe Lead(2), Get Lead(s), activities with date-based paging tokens, lead changes,
deleted leads, activity types, Get Programs (Asset API, offset/maxReturn) and Get Campaigns.

Paging follows the Paging Tokens page: Get Leads by Filter Type and Get Campaigns return `nextPageToken` (and
`moreResult: true`) only while more records remain; the activity endpoints always return `nextPageToken` and
`moreResult`, and each call scans one window of `batchSize` activities, so a page holds fewer records than
`batchSize` (even none) when the window held activities of other types, as the Activities page warns.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from starlette.requests import Request
from starlette.routing import Route

from . import protocol
from .protocol import csv_param, decode_token, encode_token, endpoint, int_param, ok
from .schema import (
    ACTIVITY_TYPES,
    CHANGE_DATA_VALUE,
    DEFAULT_LEAD_FIELDS,
    DELETE_LEAD,
    FIELDS_BY_NAME,
    NEW_LEAD,
    SEARCHABLE_FIELDS,
    describe,
    describe2,
    parse_datetime,
)
from .state import MarketoError, MarketoState

MAX_BATCH = 300
MAX_FILTER_MATCHES = 1000
NO_ASSETS = "No assets found for the given search criteria."


def project(record: dict, fields: list[str]) -> dict:
    """The requested fields of a lead (unset ones null), `id` always first."""
    out = {"id": record["id"]}
    for name in fields:
        out[name] = record.get(name)
    return out


def lead_fields(found: dict[str, str]) -> list[str]:
    """The `fields` parameter, checked against the schema (1006 for an unknown field)."""
    fields = csv_param(found, "fields") or list(DEFAULT_LEAD_FIELDS)
    for name in fields:
        if name not in FIELDS_BY_NAME:
            raise MarketoError("1006", f"Field '{name}' not found")
    return fields


def leads_query(state: MarketoState) -> protocol.Handler:
    """Get Leads by Filter Type (GET, or POST with `_method=GET`)."""

    async def get_leads(request: Request, found: dict[str, str]) -> dict:
        filter_type = found.get("filterType")
        values = csv_param(found, "filterValues")
        if not filter_type:
            raise MarketoError("701", "filterType cannot be blank")
        if not values:
            raise MarketoError("701", "filterValues cannot be blank")
        if filter_type not in SEARCHABLE_FIELDS:
            raise MarketoError("1011", f"Field '{filter_type}' not supported")
        if len(values) > MAX_BATCH:
            raise MarketoError("1003", "Too many filter values; at most 300 are accepted")
        fields = lead_fields(found)
        batch = int_param(found, "batchSize", MAX_BATCH, 1, MAX_BATCH)
        key = hashlib.sha1(f"{filter_type}|{','.join(values)}".encode()).hexdigest()[:12]
        offset = 0
        if found.get("nextPageToken"):
            token = decode_token(found["nextPageToken"], "leads")
            if token.get("q") != key:
                raise MarketoError("1003", "nextPageToken does not belong to this filter")
            offset = int(token["o"])
        matches: dict[int, dict] = {}
        for value in values:
            for record in state.find(filter_type, value):
                matches[record["id"]] = record
                if len(matches) > MAX_FILTER_MATCHES:
                    raise MarketoError("1003", "Too many results match the filter")
        ordered = [matches[i] for i in sorted(matches)]
        page = ordered[offset:offset + batch]
        body = ok([project(r, fields) for r in page])
        if offset + batch < len(ordered):
            body.update(moreResult=True, nextPageToken=encode_token({"k": "leads", "o": offset + batch, "q": key}))
        return body

    return get_leads


def routes(state: MarketoState) -> list[Route]:
    """The read routes."""

    async def describe_leads(request: Request, found: dict[str, str]) -> dict:
        return ok(describe())

    async def describe_leads2(request: Request, found: dict[str, str]) -> dict:
        return ok(describe2())

    async def get_lead(request: Request, found: dict[str, str]) -> dict:
        record = state.lead(int(request.path_params["lead_id"]))
        return ok([project(record, lead_fields(found))] if record else [])

    async def activity_types(request: Request, found: dict[str, str]) -> dict:
        return ok([t.as_json() for t in ACTIVITY_TYPES])

    async def paging_token(request: Request, found: dict[str, str]) -> dict:
        since = found.get("sinceDatetime")
        if not since:
            raise MarketoError("701", "sinceDatetime cannot be blank")
        try:
            moment = parse_datetime(since)
        except ValueError as exc:
            raise MarketoError("704", "Invalid date format") from exc
        start = state.first_activity_at_or_after(moment)
        return ok(None, nextPageToken=encode_token({"k": "activities", "a": start}))

    def scan(found: dict[str, str], keep) -> dict:
        """One window of activities after the token's position, filtered by `keep`."""
        token = found.get("nextPageToken")
        if not token:
            raise MarketoError("701", "nextPageToken cannot be blank")
        start = int(decode_token(token, "activities")["a"])
        batch = int_param(found, "batchSize", MAX_BATCH, 1, MAX_BATCH)
        lead_ids = {int(v) for v in csv_param(found, "leadIds")}
        if len(lead_ids) > 30:
            raise MarketoError("1003", "At most 30 leadIds are accepted")
        end = min(start + batch, state.activity_count() + 1)
        page = []
        for activity_id in range(start, end):
            activity = state.activity(activity_id)
            if (not lead_ids or activity["leadId"] in lead_ids) and keep(activity):
                page.append(activity)
        return ok(page, nextPageToken=encode_token({"k": "activities", "a": end}),
                  moreResult=end <= state.activity_count())

    async def activities(request: Request, found: dict[str, str]) -> dict:
        raw = csv_param(found, "activityTypeIds")
        if not raw:
            raise MarketoError("701", "activityTypeIds cannot be blank")
        if len(raw) > 10:
            raise MarketoError("1003", "At most 10 activityTypeIds are accepted")
        try:
            types = {int(v) for v in raw}
        except ValueError as exc:
            raise MarketoError("1003", f"Invalid value '{','.join(raw)}'. Required of type 'integer'") from exc
        return scan(found, lambda a: a["activityTypeId"] in types)

    async def lead_changes(request: Request, found: dict[str, str]) -> dict:
        wanted = set(csv_param(found, "fields"))
        if not wanted:
            raise MarketoError("701", "fields cannot be blank")

        def keep(activity: dict) -> bool:
            if activity["activityTypeId"] == NEW_LEAD:
                activity.setdefault("fields", [])
                return True
            if activity["activityTypeId"] != CHANGE_DATA_VALUE:
                return False
            activity["fields"] = [f for f in activity.get("fields", []) if f["name"] in wanted]
            return bool(activity["fields"])

        body = scan(found, keep)
        for activity in body["result"]:
            activity.pop("primaryAttributeValueId", None)
            activity.pop("primaryAttributeValue", None)
        return body

    async def deleted_leads(request: Request, found: dict[str, str]) -> dict:
        return scan(found, lambda a: a["activityTypeId"] == DELETE_LEAD)

    async def programs(request: Request, found: dict[str, str]) -> dict:
        max_return = int_param(found, "maxReturn", 20, 1, 200)
        offset = int_param(found, "offset", 0, 0, 10**9)
        rows = state.programs()
        earliest, latest = found.get("earliestUpdatedAt"), found.get("latestUpdatedAt")
        if earliest or latest:
            try:
                low = parse_datetime(earliest) if earliest else dt.datetime.min.replace(tzinfo=dt.UTC)
                high = parse_datetime(latest) if latest else dt.datetime.max.replace(tzinfo=dt.UTC)
            except ValueError as exc:
                raise MarketoError("704", "Invalid date format") from exc
            rows = [r for r in rows if low <= parse_datetime(r["updatedAt"]) <= high]
        if found.get("status"):
            rows = [r for r in rows if r["status"] == found["status"]]
        if found.get("filterType") == "id":
            ids = {int(v) for v in csv_param(found, "filterValues")}
            rows = [r for r in rows if r["id"] in ids]
        page = rows[offset:offset + max_return]
        if not page:
            # Asset endpoints answer an empty search with success, no result and this warning.
            return {"success": True, "errors": [], "requestId": protocol.request_id(), "warnings": [NO_ASSETS]}
        return {"success": True, "errors": [], "requestId": protocol.request_id(), "warnings": [], "result": page}

    async def campaigns(request: Request, found: dict[str, str]) -> dict:
        rows = state.campaigns()
        ids = set(csv_param(found, "id"))
        if ids:
            rows = [r for r in rows if str(r["id"]) in ids]
        for name in ("name", "programName", "workspaceName"):
            if found.get(name):
                rows = [r for r in rows if r.get(name) == found[name]]
        if found.get("isTriggerable") in ("true", "false"):
            want = found["isTriggerable"] == "true"
            rows = [r for r in rows if (r["type"] == "trigger" and r.get("active", False)) == want]
        batch = int_param(found, "batchSize", MAX_BATCH, 1, MAX_BATCH)
        offset = decode_token(found["nextPageToken"], "campaigns")["o"] if found.get("nextPageToken") else 0
        body = ok(rows[offset:offset + batch])
        if offset + batch < len(rows):
            body["nextPageToken"] = encode_token({"k": "campaigns", "o": offset + batch})
        return body

    def route(path: str, handler, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(path, endpoint(state, handler), methods=list(methods))

    return [
        route("/rest/v1/leads/describe.json", describe_leads),
        route("/rest/v1/leads/describe2.json", describe_leads2),
        route("/rest/v1/lead/{lead_id:int}.json", get_lead),
        route("/rest/v1/activities/types.json", activity_types),
        route("/rest/v1/activities/pagingtoken.json", paging_token),
        route("/rest/v1/activities.json", activities),
        route("/rest/v1/activities/leadchanges.json", lead_changes),
        route("/rest/v1/activities/deletedleads.json", deleted_leads),
        route("/rest/asset/v1/programs.json", programs),
        route("/rest/v1/campaigns.json", campaigns, ("GET", "POST")),
    ]
