"""What a Dynatrace flow can read, and how each object is requested (connectors layer).

Top-level objects: `problems` (`GET /api/v2/problems`) and `events` (`GET /api/v2/events`), plus two
parents whose children Dynatrace lists: `entities` -> `entities/<TYPE>` for each monitored entity type
(`GET /api/v2/entityTypes`), read with `GET /api/v2/entities?entitySelector=type("<TYPE>")`, and `metrics` ->
`metrics/<metricId>` for each metric (`GET /api/v2/metrics`), read as one record per data point from
`GET /api/v2/metrics/query`. Every list pages with `nextPageKey`, which then travels alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Answer, Request, RestClient
from sluice.connectors.rest.entities import Entity, Page, Query
from sluice.connectors.rest.paging import Cursor, body_path

from . import pushdown
from .fields import ENTITY_FIELDS, ENTITY_OPTIONAL, EVENT_FIELDS, METRIC_FIELDS, PROBLEM_FIELDS, PROBLEM_OPTIONAL

PAGE_SIZE = 500  # the largest page problems, entity types and metric lists take (events take 1000)
METRIC_CHUNK_MS = pushdown.DAY_MS  # one metrics/query call per day of the range, at 1-minute resolution


@dataclass(frozen=True)
class PageKey:
    """`nextPageKey` paging: the follow-up request carries the key and only the parameters in `keep`
    (Dynatrace refuses others; the problems list takes `fields` beside it, which must be repeated)."""

    size: int = PAGE_SIZE
    keep: tuple[str, ...] = ()

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, "pageSize": self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        key = body_path(answer.body, "nextPageKey")
        if not key:
            return None
        kept = {k: v for k, v in request.params.items() if k in self.keep}
        return request.replace(params={**kept, "nextPageKey": key})


def _problem_plan(query: Query, request: Request) -> Request:
    start, end = pushdown.timeframe(query, ("startTime", "endTime"))
    params: dict[str, Any] = {**request.params, "from": start, "to": end}
    terms = pushdown.selector(query, {"problemId": "problemId", "displayId": "displayId", "status": "status",
                                      "severityLevel": "severityLevel", "impactLevel": "impactLevel"},
                              single=frozenset({"status"}), lower=frozenset({"status"}))
    if terms:
        params["problemSelector"] = ",".join(terms)
    optional = [name for name in PROBLEM_OPTIONAL if name in query.columns]
    if optional:
        params["fields"] = ",".join(optional)
    return request.replace(params=params)


def problem_record(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """An open problem's `endTime` is -1: no end yet, so null."""
    if record.get("endTime") == -1:
        return {**record, "endTime": None}
    return record


def _event_plan(query: Query, request: Request) -> Request:
    start, end = pushdown.timeframe(query, ("startTime", "endTime"))
    params: dict[str, Any] = {**request.params, "from": start, "to": end}
    terms = pushdown.selector(query, {
        "eventId": "eventId", "eventType": "eventType", "status": "status", "correlationId": "correlationId",
        "underMaintenance": "underMaintenance()", "suppressAlert": "suppressAlert()",
        "suppressProblem": "suppressProblem()", "frequentEvent": "frequentEvent()",
    }, single=frozenset({"eventType", "status"}))
    if terms:
        params["eventSelector"] = ",".join(terms)
    return request.replace(params=params)


PROBLEMS = Entity("problems", label="Problems", description="Problems Dynatrace detected (Problems API v2)",
                  path="/api/v2/problems", records="problems", paginator=PageKey(keep=("fields",)),
                  fields=PROBLEM_FIELDS, plan=_problem_plan, record=problem_record)
EVENTS = Entity("events", label="Events", description="Events of monitored entities (Events API v2)",
                path="/api/v2/events", records="events", paginator=PageKey(size=1000), fields=EVENT_FIELDS,
                plan=_event_plan)
ENTITIES = Entity("entities", label="Monitored entities", description="One object per monitored entity type",
                  has_children=True, readable=False)
METRICS = Entity("metrics", label="Metrics", description="One object per metric: its data points",
                 has_children=True, readable=False)


def entity_type_object(entity_type: str, label: str = "") -> Entity:
    """`entities/<TYPE>`: the monitored entities of one type."""

    def plan(query: Query, request: Request) -> Request:
        terms = [f"type({pushdown.quote(entity_type)})"]
        terms += pushdown.selector(query, {"entityId": "entityId", "displayName": "entityName.equals"})
        terms += pushdown.first_seen_terms(query)
        # `from` / `to` say when an entity was seen (the default is the last three days); bounds on either
        # time field widen it so no entity a filter asks for is left out.
        lowers = [b for b in (query.time_range("firstSeenTms")[0], query.time_range("lastSeenTms")[0]) if b]
        params: dict[str, Any] = {**request.params, "entitySelector": ",".join(terms),
                                  "from": int(min(lowers) * 1000) if lowers else "now-3d"}
        wanted = [name for name in ENTITY_OPTIONAL if name in query.columns]
        if wanted:
            params["fields"] = ",".join(f"+{name}" for name in wanted)
        return request.replace(params=params)

    return Entity(f"entities/{entity_type}", label=label or entity_type,
                  description=f"Monitored entities of type {entity_type}", path="/api/v2/entities",
                  records="entities", paginator=PageKey(), fields=ENTITY_FIELDS, plan=plan)


def metric_object(metric_id: str, label: str = "", description: str = "") -> Entity:
    """`metrics/<metricId>`: one record per data point of the metric, over the flow's range."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        start, end = pushdown.timeframe(query, ("timestamp",))
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(end, chunk_start + METRIC_CHUNK_MS)
            answer = client.call(request.replace(params={
                "metricSelector": pushdown.metric_selector(metric_id), "resolution": "1m",
                "from": chunk_start, "to": chunk_end}))
            yield Page(_data_points(answer.body), len(answer.response.content))
            chunk_start = chunk_end

    return Entity(f"metrics/{metric_id}", label=label or metric_id, description=description or metric_id,
                  path="/api/v2/metrics/query", fields=METRIC_FIELDS, read=read)


def _data_points(body: Any) -> list[dict[str, Any]]:
    """Series -> one record per data point that has a value (Dynatrace sends null for slots without data)."""
    records = []
    resolution = body.get("resolution") if isinstance(body, Mapping) else None
    for result in (body or {}).get("result") or []:
        for series in result.get("data") or []:
            for stamp, value in zip(series.get("timestamps") or [], series.get("values") or [], strict=False):
                if value is None:
                    continue
                records.append({"metricId": result.get("metricId"), "timestamp": stamp, "value": value,
                                "dimensions": series.get("dimensions"), "dimensionMap": series.get("dimensionMap"),
                                "resolution": resolution})
    return records


def _all(client: RestClient, path: str, key: str, params: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every item of a nextPageKey-paged list."""
    paginator = Cursor("nextPageKey", param="nextPageKey", size_param="pageSize", size=PAGE_SIZE, cursor_only=True)
    current: Request | None = paginator.first(Request("GET", path, dict(params)))
    while current is not None:
        answer = client.call(current)
        items = body_path(answer.body, key) or []
        yield from items
        current = paginator.next(current, answer, len(items))


class DynatraceCatalog:
    """`Catalog`: problems and events, plus entity types and metrics as Dynatrace lists them."""

    vendor = "Dynatrace"

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent == "entities":
            return [entity_type_object(t["type"], t.get("displayName") or "")
                    for t in _all(client, "/api/v2/entityTypes", "types", {})]
        if parent == "metrics":
            return [metric_object(m["metricId"], m.get("displayName") or "", m.get("description") or "")
                    for m in _all(client, "/api/v2/metrics", "metrics", {})]
        if parent:
            return []
        return [PROBLEMS, EVENTS, ENTITIES, METRICS]

    def entity(self, client: RestClient, name: str) -> Entity:
        for static in (PROBLEMS, EVENTS, ENTITIES, METRICS):
            if static.name == name:
                return static
        kind, _, key = name.partition("/")
        if kind == "entities" and key:
            described = self._describe(client, f"/api/v2/entityTypes/{key}", name)
            return entity_type_object(key, str(described.get("displayName") or ""))
        if kind == "metrics" and key:
            described = self._describe(client, "/api/v2/metrics/" + key, name)
            return metric_object(key, str(described.get("displayName") or ""),
                                 str(described.get("description") or ""))
        raise ConnectorError("ResourceNotFound", f"Dynatrace has no object {name!r} (objects: problems, events, "
                             "entities/<entity type>, metrics/<metric key>)")

    def _describe(self, client: RestClient, path: str, name: str) -> Mapping[str, Any]:
        try:
            answer = client.json(Request("GET", path))
        except ConnectorError as exc:
            # Dynatrace answers an unknown entity type with 400 and an unknown metric with 404.
            if exc.code in ("ResourceNotFound", "InvalidArgument"):
                raise ConnectorError("ResourceNotFound", f"Dynatrace has no object {name!r}: {exc.message}") from None
            raise
        return answer if isinstance(answer, Mapping) else {}


CATALOG = DynatraceCatalog()
