"""The Datadog connector: API, objects, push-down and profile check (connectors layer, Datadog).

Declared on the shared REST layer (connectors/rest/). Datadog's API reference is
https://docs.datadoghq.com/api/latest/; what each object reads:

* `logs` - `POST /api/v2/logs/events/search` (Logs search), 1000 logs a page, the cursor from
  `meta.page.after` sent back as `page.cursor`, oldest first;
* `events` - `GET /api/v2/events` (Events list), the same cursor style as `page[cursor]`;
* `metrics` - `GET /api/v1/query` (timeseries points): one record per series, for the query the
  flow's `query` filter gives (AppFlow requires it).

Auth is the `DD-API-KEY` and `DD-APPLICATION-KEY` headers from the profile's `apiKey` and
`applicationKey`. Errors are `{"errors": ["..."]}`; a 429's `X-RateLimit-Reset` is the seconds to wait
(https://docs.datadoghq.com/api/latest/rate-limits/). Odd parts live in pushdown.py (filters),
reads.py (pages with the `query` member) and site.py (which host an `instanceUrl` means).
"""

from __future__ import annotations

from sluice.connectors import outbound
from sluice.connectors.base import ProfileView
from sluice.connectors.datadog import CAPABILITIES, CONNECTOR_TYPE, reads, site
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import HeaderKeys
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Field, Static
from sluice.connectors.rest.paging import Cursor, Single
from sluice.connectors.rest.splits import TimeSlices

PAGE_SIZE = 1000  # the most Datadog's Logs and Events lists return per page
LOGS_PAGES = Cursor("meta.page.after", body_member="page.cursor", size_member="page.limit", size=PAGE_SIZE)
EVENTS_PAGES = Cursor("meta.page.after", param="page[cursor]", size_param="page[limit]", size=PAGE_SIZE)
# Parallel reads: a log's or event's timestamp never changes and both searches take a from/to range in
# milliseconds, so a read is cut into time slices, each its own search with its own cursor (a cursor only
# continues the search that made it). At most 4 slices: Datadog limits search requests per organisation
# and period (X-RateLimit-Limit / X-RateLimit-Period), shared with every other client of the org.
LOGS_SLICES = TimeSlices("timestamp", step_us=1000, max_splits=4,
                         earliest=reads.earliest("data", "attributes.timestamp", reads.one_log))
EVENTS_SLICES = TimeSlices("timestamp", step_us=1000, max_splits=4,
                           earliest=reads.earliest("data", "attributes.timestamp", reads.one_event))


def _base_url(profile: ProfileView) -> str:
    given = str(profile.properties.get("instanceUrl") or "").strip()
    return site.api_url(given or outbound.endpoint_override(CONNECTOR_TYPE) or site.DEFAULT_URL)


API = RestApi(
    CONNECTOR_TYPE, "Datadog", hosts=site.HOSTS, default_url=site.DEFAULT_URL, base_url=_base_url,
    auth=HeaderKeys(headers={"DD-API-KEY": "apiKey", "DD-APPLICATION-KEY": "applicationKey"}),
    wait_headers=("X-RateLimit-Reset",),
)

EQ = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()


def _query_field(what: str) -> Field:
    return Field("query", label="Query", filters=EQ,
                 description=f"The Datadog search query that found the {what} (EQUAL_TO filter; '*' for all)")


LOGS = Entity(
    "logs", label="Logs", description="Log events from Datadog Logs search",
    method="POST", path="/api/v2/logs/events/search", records="data",
    body={"filter": {"query": "*", "indexes": ["*"]}, "sort": "timestamp"},
    paginator=LOGS_PAGES, plan=reads.plan_logs, read=reads.paged("data", LOGS_PAGES, reads.with_query),
    splits=LOGS_SLICES,
    fields=(
        Field("id", primary_key=True, nullable=False, filters=NONE, description="Unique ID of the log"),
        Field("type", filters=NONE),
        Field("timestamp", "datetime", path="attributes.timestamp", filters=("BETWEEN",), timestamp=True,
              description="When the log happened (BETWEEN is the date range pushed to the search)"),
        Field("status", path="attributes.status", filters=EQ),
        Field("service", path="attributes.service", filters=EQ),
        Field("host", path="attributes.host", filters=EQ),
        Field("message", path="attributes.message", filters=NONE),
        Field("tags", "array", path="attributes.tags", item=Field("tag"), filters=NONE),
        Field("attributes", "json", path="attributes.attributes", filters=NONE,
              description="The log's own attributes (free-form JSON)"),
        _query_field("log"),
    ),
)

EVENTS = Entity(
    "events", label="Events", description="Events from the Datadog event stream",
    path="/api/v2/events", records="data", params={"filter[query]": "*", "sort": "timestamp"},
    paginator=EVENTS_PAGES, plan=reads.plan_events, read=reads.paged("data", EVENTS_PAGES, reads.with_query),
    splits=EVENTS_SLICES,
    fields=(
        Field("id", primary_key=True, nullable=False, filters=NONE),
        Field("type", filters=NONE),
        Field("timestamp", "datetime", path="attributes.timestamp", filters=("BETWEEN",), timestamp=True),
        Field("title", path="attributes.attributes.title", filters=NONE),
        Field("message", path="attributes.message", filters=NONE),
        Field("source_type_name", path="attributes.attributes.source_type_name", filters=EQ),
        Field("priority", path="attributes.attributes.priority", filters=EQ, values=("normal", "low")),
        Field("status", path="attributes.attributes.status", filters=EQ),
        Field("host", path="attributes.attributes.hostname", filters=EQ),
        Field("service", path="attributes.attributes.service", filters=EQ),
        Field("aggregation_key", path="attributes.attributes.aggregation_key", filters=NONE),
        Field("tags", "array", path="attributes.tags", item=Field("tag"), filters=NONE),
        Field("attributes", "json", path="attributes.attributes", filters=NONE),
        _query_field("event"),
    ),
)

METRICS = Entity(
    "metrics", label="Metrics Timeseries", description="Timeseries points of a Datadog metric query",
    path="/api/v1/query", records="series", paginator=Single(),
    plan=reads.plan_metrics, read=reads.paged("series", Single(), reads.series_extra),
    fields=(
        Field("metric", filters=NONE),
        Field("display_name", filters=NONE),
        Field("expression", filters=NONE),
        Field("scope", filters=NONE),
        Field("aggr", filters=NONE),
        Field("interval", "integer", filters=NONE, description="Seconds between points"),
        Field("length", "integer", filters=NONE),
        Field("start", "datetime", format="epoch_ms", filters=NONE),
        Field("end", "datetime", format="epoch_ms", filters=NONE),
        Field("pointlist", "array", item=Field("point", "array", item=Field("value", "double")), filters=NONE,
              description="[milliseconds, value] pairs"),
        Field("query_index", "integer", filters=NONE),
        Field("tag_set", "array", item=Field("tag"), filters=NONE),
        Field("unit", "json", filters=NONE),
        Field("attributes", "json", filters=NONE),
        Field("from_to_date", "datetime", format="epoch_ms", filters=("BETWEEN",), timestamp=True,
              description="The queried time range (BETWEEN); each series holds its first point's time"),
        Field("query", label="Query", filters=EQ, description="The metric query, e.g. avg:system.cpu.idle{*}"),
    ),
)


def check(client: RestClient) -> None:
    """The profile check: the API key (`/api/v1/validate`), then both keys on a one-log search."""
    client.call(Request("GET", "/api/v1/validate"))
    client.call(Request("GET", "/api/v2/logs/events", {"filter[from]": "now-1m", "page[limit]": 1}))


CONNECTOR = RestConnector(
    API, Static((LOGS, EVENTS, METRICS), vendor="Datadog"),
    operators=frozenset(CAPABILITIES["supportedOperators"]), check=check,
)
