"""The fields of Dynatrace's problems, events and monitored entities, as API v2 documents them.

Nested shapes Dynatrace documents (entity stubs, management zones, tags, event properties) are Arrow structs
and lists; shapes that vary by entity type or problem (entity `properties`, relationships, evidence details)
are kept whole as JSON text. Filter operators are AppFlow's for Dynatrace (`DynatraceConnectorOperator`):
BETWEEN on times, EQUAL_TO on the fields Dynatrace's selectors can match; the rest take none.
"""

from __future__ import annotations

from sluice.connectors.rest.entities import Field

BETWEEN = ("BETWEEN",)
EQUAL = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()

ENTITY_ID = Field("entityId", "struct", members=(Field("id"), Field("type")), filters=NONE)
ENTITY_STUB_MEMBERS = (ENTITY_ID, Field("name", filters=NONE))
ZONE = Field("zone", "struct", members=(Field("id"), Field("name")))
TAG = Field("tag", "struct", members=(Field("context"), Field("key"), Field("value"), Field("stringRepresentation")))


def stub(name: str, label: str) -> Field:
    """An EntityStub field: `{"entityId": {"id", "type"}, "name"}`."""
    return Field(name, "struct", label=label, members=ENTITY_STUB_MEMBERS, filters=NONE)


def stubs(name: str, label: str) -> Field:
    """A list of EntityStubs."""
    return Field(name, "array", label=label, item=Field("item", "struct", members=ENTITY_STUB_MEMBERS), filters=NONE)


def time_field(name: str, label: str, incremental: bool, filters: tuple[str, ...] = BETWEEN) -> Field:
    """A UTC millisecond timestamp."""
    return Field(name, "datetime", label=label, format="epoch_ms", filters=filters, timestamp=incremental)


PROBLEM_FIELDS = (
    Field("problemId", label="Problem ID", primary_key=True, nullable=False, filters=EQUAL),
    Field("displayId", label="Display ID", filters=EQUAL),
    Field("title", label="Title", filters=NONE),
    Field("impactLevel", label="Impact level", filters=EQUAL,
          values=("APPLICATION", "ENVIRONMENT", "INFRASTRUCTURE", "SERVICES")),
    Field("severityLevel", label="Severity level", filters=EQUAL,
          values=("AVAILABILITY", "CUSTOM_ALERT", "ERROR", "INFO", "MONITORING_UNAVAILABLE", "PERFORMANCE",
                  "RESOURCE_CONTENTION")),
    Field("status", label="Status", filters=EQUAL, values=("OPEN", "CLOSED")),
    time_field("startTime", "Start time", incremental=True),
    # -1 while the problem is open: read as null (see connector.problem_record).
    time_field("endTime", "End time", incremental=True),
    stubs("affectedEntities", "Affected entities"),
    stubs("impactedEntities", "Impacted entities"),
    stub("rootCauseEntity", "Root cause entity"),
    Field("managementZones", "array", label="Management zones", item=ZONE, filters=NONE),
    Field("problemFilters", "array", label="Alerting profiles", item=ZONE, filters=NONE),
    Field("entityTags", "array", label="Entity tags", item=TAG, filters=NONE),
    Field("linkedProblemInfo", "struct", label="Linked problem", members=(Field("problemId"), Field("displayId")),
          filters=NONE),
    # Added only when projected (the `fields` parameter): their shape depends on the evidence type.
    Field("evidenceDetails", "json", label="Evidence details", filters=NONE),
    Field("impactAnalysis", "json", label="Impact analysis", filters=NONE),
    Field("recentComments", "json", label="Recent comments", filters=NONE),
)
PROBLEM_OPTIONAL = ("evidenceDetails", "impactAnalysis", "recentComments")

EVENT_FIELDS = (
    Field("eventId", label="Event ID", primary_key=True, nullable=False, filters=EQUAL),
    Field("eventType", label="Event type", filters=EQUAL),
    Field("title", label="Title", filters=NONE),
    Field("status", label="Status", filters=EQUAL, values=("OPEN", "CLOSED")),
    time_field("startTime", "Start time", incremental=True),
    time_field("endTime", "End time", incremental=True),
    stub("entityId", "Related entity"),
    Field("properties", "array", label="Properties", item=Field("property", "struct",
                                                                members=(Field("key"), Field("value"))),
          filters=NONE),
    Field("correlationId", label="Correlation ID", filters=EQUAL),
    Field("entityTags", "array", label="Entity tags", item=TAG, filters=NONE),
    Field("managementZones", "array", label="Management zones", item=ZONE, filters=NONE),
    Field("underMaintenance", "boolean", label="Under maintenance", filters=EQUAL),
    Field("suppressAlert", "boolean", label="Alerting suppressed", filters=EQUAL),
    Field("suppressProblem", "boolean", label="Problem detection suppressed", filters=EQUAL),
    Field("frequentEvent", "boolean", label="Frequent event", filters=EQUAL),
)

ENTITY_FIELDS = (
    Field("entityId", label="Entity ID", primary_key=True, nullable=False, filters=EQUAL),
    Field("type", label="Type", filters=NONE),
    Field("displayName", label="Name", filters=EQUAL),
    time_field("firstSeenTms", "First seen", incremental=True),
    time_field("lastSeenTms", "Last seen", incremental=False),
    Field("properties", "json", label="Properties", filters=NONE),
    Field("tags", "array", label="Tags", item=TAG, filters=NONE),
    Field("managementZones", "array", label="Management zones", item=ZONE, filters=NONE),
    Field("icon", "struct", label="Icon", members=(Field("primaryIconType"), Field("secondaryIconType"),
                                                    Field("customIconPath")), filters=NONE),
    Field("fromRelationships", "json", label="Relationships (from)", filters=NONE),
    Field("toRelationships", "json", label="Relationships (to)", filters=NONE),
)
# Requested with `fields=+name` only when the flow reads them (entityId, type, displayName always come).
ENTITY_OPTIONAL = tuple(f.name for f in ENTITY_FIELDS[3:])

METRIC_FIELDS = (
    Field("metricId", label="Metric", filters=NONE),
    time_field("timestamp", "Timestamp (end of the time slot)", incremental=True),
    Field("value", "double", label="Value", filters=NONE),
    Field("dimensions", "array", label="Dimensions", item=Field("dimension"), filters=NONE),
    Field("dimensionMap", "json", label="Dimensions by key", filters=NONE),
    Field("resolution", label="Resolution", filters=NONE),
)
