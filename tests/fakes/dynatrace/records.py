"""Seeded, lazily generated Dynatrace records: monitored entities, problems, events and metric series.

Problems and events are generated from their index alone (a hash of seed and index), so an environment of
500k problems costs nothing until a page is asked for; start times grow with the index (one record per
`spacing_ms`, jittered), which turns a timeframe into an index range. Entities are few and built eagerly.
Values mix what Dynatrace really sends: nested entity stubs, arrays (often empty), nulls, unicode names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
PROBLEM_MAX_DURATION = 6 * HOUR
EVENT_MAX_DURATION = 2 * HOUR

MANAGEMENT_ZONES = [
    {"id": "4217536912983581234", "name": "Production"},
    {"id": "-6238459123049817231", "name": "Zahlungsverkehr ⚙"},
    {"id": "912873465012398745", "name": "Staging"},
]
ALERTING_PROFILES = [
    {"id": "c21f969b-5f03-333d-83e0-4f8f136e7682", "name": "Default"},
    {"id": "5a9e3c7d-0b14-3c6e-9a51-7e2b40f1d3c8", "name": "Kritische Dienste"},
]
SEVERITIES = ["AVAILABILITY", "ERROR", "PERFORMANCE", "RESOURCE_CONTENTION", "CUSTOM_ALERT", "MONITORING_UNAVAILABLE",
              "INFO"]
SEVERITY_IMPACT = {"AVAILABILITY": "INFRASTRUCTURE", "ERROR": "SERVICES", "PERFORMANCE": "APPLICATION",
                   "RESOURCE_CONTENTION": "INFRASTRUCTURE", "CUSTOM_ALERT": "ENVIRONMENT",
                   "MONITORING_UNAVAILABLE": "INFRASTRUCTURE", "INFO": "ENVIRONMENT"}
PROBLEM_TITLES = {
    "AVAILABILITY": ["Host or monitoring unavailable", "Process unavailable", "Synthetic monitor unavailable"],
    "ERROR": ["Failure rate increase", "Multiple service problems", "JavaScript error rate increase"],
    "PERFORMANCE": ["Response time degradation", "Slow user actions", "Long garbage-collection time"],
    "RESOURCE_CONTENTION": ["CPU saturation", "Memory saturation", "Low disk space", "Connectivity problem"],
    "CUSTOM_ALERT": ["Zahlungsdienst überlastet ⚠", "Очередь заказов растёт", "注文キューの遅延"],
    "MONITORING_UNAVAILABLE": ["OneAgent lost connection", "Extension data missing"],
    "INFO": ["Deployment window «Release 24.3»", "Maintenance notice"],
}
EVENT_TYPES = [
    ("AVAILABILITY_EVENT", "Process unavailable"), ("ERROR_EVENT", "Failure rate increase"),
    ("PERFORMANCE_EVENT", "Response time degradation"), ("RESOURCE_CONTENTION_EVENT", "CPU saturation"),
    ("CUSTOM_DEPLOYMENT", "Deployment of checkout-api 2.14.1"), ("CUSTOM_INFO", "Konfigurationsänderung übernommen"),
    ("CUSTOM_ANNOTATION", "Load test — 負荷試験"), ("PROCESS_RESTART", "Process restart"),
    ("OSI_HIGH_CPU", "High CPU"), ("MARKED_FOR_TERMINATION", "Host marked for termination"),
]
TAGS = [
    {"context": "CONTEXTLESS", "key": "team", "value": "payments", "stringRepresentation": "team:payments"},
    {"context": "CONTEXTLESS", "key": "owner", "value": "José Müller", "stringRepresentation": "owner:José Müller"},
    {"context": "AWS", "key": "aws:region", "value": "eu-central-1",
     "stringRepresentation": "[AWS]aws:region:eu-central-1"},
    {"context": "CONTEXTLESS", "key": "critical", "stringRepresentation": "critical"},
    {"context": "KUBERNETES", "key": "app.kubernetes.io/name", "value": "checkout",
     "stringRepresentation": "[KUBERNETES]app.kubernetes.io/name:checkout"},
]
ENTITY_TYPES = ["HOST", "SERVICE", "PROCESS_GROUP_INSTANCE", "APPLICATION"]
ENTITY_NAMES = {
    "HOST": ["ip-10-0-{n}-17.eu-central-1.compute.internal", "db-prod-{n:02d}", "сервер-москва-{n:02d}",
             "k8s-node-{n}"],
    "SERVICE": ["PaymentService {n}", "checkout-api-{n}", "Zahlungsdienst {n}", "注文サービス {n}"],
    "PROCESS_GROUP_INSTANCE": ["Apache Tomcat (billing-{n})", "node index.js #{n}", "postgres: Ünicode-{n}"],
    "APPLICATION": ["www.example.com/{n}", "Mobile App 📱 {n}", "Kundenportal {n}"],
}
ENTITY_TYPE_INFO = {
    "HOST": ("Host", "dt.entity.host", [("bitness", "String", "Bitness"), ("osType", "Enum", "OS type"),
                                        ("cpuCores", "Number", "CPU cores"), ("ipAddress", "Set", "IP address"),
                                        ("monitoringMode", "Enum", "Monitoring mode")]),
    "SERVICE": ("Service", "dt.entity.service", [("serviceType", "Enum", "Service type"),
                                                  ("serviceTechnologyTypes", "Set", "Technology"),
                                                  ("databaseName", "String", "Database name")]),
    "PROCESS_GROUP_INSTANCE": ("Process", "dt.entity.process_group_instance",
                               [("processType", "Enum", "Process type"), ("listenPorts", "Set", "Listen ports")]),
    "APPLICATION": ("Web application", "dt.entity.application", [("applicationType", "Enum", "Application type"),
                                                                 ("ruleAppliedPattern", "String", "Pattern")]),
}
RELATIONSHIPS = {  # (from type, relationship, to type)
    ("SERVICE", "runsOnHost", "HOST"), ("PROCESS_GROUP_INSTANCE", "isProcessOf", "HOST"),
    ("SERVICE", "runsOnProcessGroupInstance", "PROCESS_GROUP_INSTANCE"), ("APPLICATION", "calls", "SERVICE"),
}


def mix(seed: int, index: int, salt: int = 0) -> int:
    """A 64-bit hash of (seed, index, salt): cheap, stable across runs (splitmix64 finaliser)."""
    z = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def pick(seq: list[Any], seed: int, index: int, salt: int) -> Any:
    """A stable choice from `seq`."""
    return seq[mix(seed, index, salt) % len(seq)]


def stub(entity: dict[str, Any]) -> dict[str, Any]:
    """An EntityStub: `{"entityId": {"id", "type"}, "name"}`."""
    return {"entityId": {"id": entity["entityId"], "type": entity["type"]}, "name": entity["displayName"]}


def build_entities(count: int, seed: int, now_ms: int) -> list[dict[str, Any]]:
    """`count` monitored entities across HOST, SERVICE, PROCESS_GROUP_INSTANCE and APPLICATION, related."""
    entities: list[dict[str, Any]] = []
    for i in range(count):
        etype = ENTITY_TYPES[i % len(ENTITY_TYPES)]
        n = i // len(ENTITY_TYPES) + 1
        h = mix(seed, i, 101)
        entity: dict[str, Any] = {
            "entityId": f"{etype}-{h & 0xFFFFFFFFFFFFFFFF:016X}",
            "type": etype,
            "displayName": pick(ENTITY_NAMES[etype], seed, i, 102).format(n=n),
            "firstSeenTms": now_ms - (30 + h % 300) * DAY,
            # A tenth of the entities went quiet five days ago: outside the default now-3d timeframe.
            "lastSeenTms": now_ms - 5 * DAY if h % 10 == 0 else now_ms - (h >> 8) % (10 * MINUTE),
            "properties": _properties(etype, seed, i),
            "tags": [TAGS[j] for j in range(len(TAGS)) if (h >> (12 + j)) & 1 and (h >> 20) % 3],
            "managementZones": [MANAGEMENT_ZONES[j] for j in range(len(MANAGEMENT_ZONES)) if (h >> (24 + j)) & 1],
            "icon": {"primaryIconType": etype.lower().replace("_", "-"), "secondaryIconType": None,
                     "customIconPath": None},
            "fromRelationships": {},
            "toRelationships": {},
            "_health": "UNHEALTHY" if h % 7 == 0 else "HEALTHY",
        }
        entities.append(entity)
    by_type: dict[str, list[dict[str, Any]]] = {t: [e for e in entities if e["type"] == t] for t in ENTITY_TYPES}
    for source_type, relationship, target_type in sorted(RELATIONSHIPS):
        targets = by_type[target_type]
        if not targets:
            continue
        for k, entity in enumerate(by_type[source_type]):
            target = targets[mix(seed, k, 103) % len(targets)]
            entity["fromRelationships"].setdefault(relationship, []).append(
                {"id": target["entityId"], "type": target_type})
            target["toRelationships"].setdefault(relationship, []).append(
                {"id": entity["entityId"], "type": source_type})
    return entities


def _properties(etype: str, seed: int, i: int) -> dict[str, Any]:
    h = mix(seed, i, 104)
    if etype == "HOST":
        return {"bitness": "64", "osType": pick(["LINUX", "WINDOWS", "AIX"], seed, i, 105), "cpuCores": 2 << (h % 4),
                "ipAddress": [f"10.0.{h % 250}.{(h >> 8) % 250}"], "monitoringMode": "FULL_STACK"}
    if etype == "SERVICE":
        return {"serviceType": pick(["WEB_REQUEST_SERVICE", "DATABASE_SERVICE", "WEB_SERVICE"], seed, i, 106),
                "serviceTechnologyTypes": [pick(["Java", "Node.js", "Go", ".NET"], seed, i, 107)],
                "databaseName": None if h % 3 else "bestellungen"}
    if etype == "PROCESS_GROUP_INSTANCE":
        return {"processType": pick(["TOMCAT", "NODE_JS", "POSTGRES"], seed, i, 108),
                "listenPorts": [8080 + h % 10] if h % 4 else []}
    return {"applicationType": "AUTO_INJECTED", "ruleAppliedPattern": None}


def entity_type_descriptor(etype: str) -> dict[str, Any]:
    """An EntityType as `GET /api/v2/entityTypes/{type}` answers."""
    display, dimension, properties = ENTITY_TYPE_INFO[etype]
    return {
        "type": etype, "displayName": display, "dimensionKey": dimension, "entityLimitExceeded": False,
        "properties": [{"id": pid, "type": ptype, "displayName": pname} for pid, ptype, pname in properties],
        "tags": "List", "managementZones": "List",
        "fromRelationships": [{"id": rel, "toTypes": [to]} for frm, rel, to in sorted(RELATIONSHIPS) if frm == etype],
        "toRelationships": [{"id": rel, "fromTypes": [frm]} for frm, rel, to in sorted(RELATIONSHIPS) if to == etype],
    }


@dataclass(frozen=True)
class Timeline:
    """Where a lazily generated collection sits in time: record i starts in [base + i*spacing, +spacing)."""

    seed: int
    base_ms: int
    spacing_ms: int
    max_duration_ms: int
    now_ms: int  # when the environment was seeded: nothing ends after it, recent records are often open

    def start(self, i: int) -> int:
        """The start time of record i (strictly increasing with i)."""
        return self.base_ms + i * self.spacing_ms + mix(self.seed, i, 1) % self.spacing_ms

    def end(self, i: int) -> int | None:
        """The end time of record i, or None while it is open."""
        h = mix(self.seed, i, 2)
        start = self.start(i)
        open_share = 40 if start > self.now_ms - 2 * HOUR else 3
        end = start + 5 * MINUTE + (h >> 8) % (self.max_duration_ms - 5 * MINUTE)
        return None if h % 100 < open_share or end > self.now_ms else end

    def index_at(self, time_ms: int) -> int:
        """The first index whose start may be >= time_ms."""
        return max(0, (time_ms - self.base_ms) // self.spacing_ms)


def problem(tl: Timeline, i: int, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """Problem i with the always-included fields; optional fields are added by `problem_extras`."""
    seed = tl.seed
    h = mix(seed, i, 3)
    severity = SEVERITIES[h % len(SEVERITIES)] if h % 5 else SEVERITIES[(h >> 5) % 4]
    start, end = tl.start(i), tl.end(i)
    affected = _entities_for(entities, seed, i, 4, 1 + (h >> 9) % 3)
    impacted = affected + _entities_for(entities, seed, i, 5, (h >> 11) % 3)
    root = None if (h >> 13) % 10 < 3 or not affected else stub(affected[0])
    return {
        "problemId": f"{(mix(seed, i, 6) >> 1) - (1 << 62)}_{start}V2",
        "displayId": f"P-{2000000 + i}",
        "title": pick(PROBLEM_TITLES[severity], seed, i, 7),
        "impactLevel": SEVERITY_IMPACT[severity],
        "severityLevel": severity,
        "status": "OPEN" if end is None else "CLOSED",
        "affectedEntities": [stub(e) for e in affected],
        "impactedEntities": [stub(e) for e in _unique(impacted)],
        "rootCauseEntity": root,
        "managementZones": [MANAGEMENT_ZONES[j] for j in range(len(MANAGEMENT_ZONES)) if (h >> (15 + j)) & 1],
        "entityTags": [TAGS[j] for j in range(len(TAGS)) if (h >> (18 + j)) & 1 and (h >> 24) % 2],
        "problemFilters": [ALERTING_PROFILES[0]] + ([ALERTING_PROFILES[1]] if (h >> 25) & 1 else []),
        "startTime": start,
        "endTime": -1 if end is None else end,
        "linkedProblemInfo": None,
    }


def problem_extras(record: dict[str, Any], fields: set[str], seed: int, i: int) -> dict[str, Any]:
    """Add the optional `fields` (evidenceDetails, impactAnalysis, recentComments) to a problem."""
    if "evidenceDetails" in fields:
        details = []
        for k, entity in enumerate(record["affectedEntities"] or record["impactedEntities"]):
            kind = pick(["EVENT", "METRIC", "TRANSACTIONAL", "AVAILABILITY_EVIDENCE"], seed, i, 30 + k)
            item: dict[str, Any] = {"evidenceType": kind, "displayName": record["title"], "entity": entity,
                                    "groupingEntity": record["rootCauseEntity"], "rootCauseRelevant": k == 0,
                                    "startTime": record["startTime"] + k * MINUTE}
            if kind == "EVENT":
                item.update({"eventId": f"{mix(seed, i, 40 + k) >> 2}_{record['startTime']}",
                             "eventType": "ERROR_EVENT", "endTime": record["endTime"],
                             "data": {"properties": [{"key": "dt.event.description", "value": "Fehlerrate ↑ 12 %"}]}})
            elif kind in ("METRIC", "TRANSACTIONAL"):
                item.update({"metricId": "builtin:service.response.time", "unit": "MicroSecond",
                             "valueBeforeChangePoint": 1200.5, "valueAfterChangePoint": 8400.25,
                             "endTime": record["endTime"]})
            details.append(item)
        record["evidenceDetails"] = {"totalCount": len(details), "details": details}
    if "impactAnalysis" in fields:
        record["impactAnalysis"] = {"impacts": [
            {"impactType": "SERVICE" if e["entityId"]["type"] == "SERVICE" else "APPLICATION", "impactedEntity": e,
             "estimatedAffectedUsers": mix(seed, i, 50 + k) % 5000} for k, e in enumerate(record["impactedEntities"])]}
    if "recentComments" in fields:
        comments = [] if mix(seed, i, 60) % 2 else [
            {"id": str(mix(seed, i, 61) % 10**18), "createdAtTimestamp": record["startTime"] + 10 * MINUTE,
             "authorName": "Zoë Ångström", "content": "Rollback läuft — 対応中", "context": None}]
        record["recentComments"] = {"comments": comments, "totalCount": len(comments), "pageSize": 5,
                                    "nextPageKey": None}
    return record


def event(tl: Timeline, i: int, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """Event i as `GET /api/v2/events` lists it."""
    seed = tl.seed
    h = mix(seed, i, 70)
    event_type, title = EVENT_TYPES[h % len(EVENT_TYPES)]
    start, end = tl.start(i), tl.end(i)
    entity = entities[(h >> 8) % len(entities)] if entities else None
    properties = [{"key": "dt.event.description", "value": f"{title} ({i})"},
                  {"key": "dt.event.is_rootcause_relevant", "value": "true" if h & 1 else "false"}]
    if event_type == "CUSTOM_DEPLOYMENT":
        properties += [{"key": "dt.event.deployment.name", "value": "checkout-api"},
                       {"key": "dt.event.deployment.version", "value": f"2.14.{i % 50}"},
                       {"key": "Änderungsnummer", "value": f"CHG-{i:05d}"}]
    return {
        "eventId": f"{(mix(seed, i, 71) >> 1) - (1 << 62)}_{start}",
        "startTime": start,
        "endTime": end,
        "eventType": event_type,
        "title": title,
        "entityId": stub(entity) if entity else None,
        "properties": properties,
        "status": "OPEN" if end is None else "CLOSED",
        "correlationId": None if (h >> 12) % 3 else f"{mix(seed, i, 72) % 10**16:016x}",
        "entityTags": entity["tags"] if entity else [],
        "managementZones": entity["managementZones"] if entity else [],
        "underMaintenance": (h >> 16) % 20 == 0,
        "suppressAlert": False,
        "suppressProblem": (h >> 16) % 20 == 0,
        "frequentEvent": (h >> 21) % 15 == 0,
    }


def _entities_for(entities: list[dict[str, Any]], seed: int, i: int, salt: int, count: int) -> list[dict[str, Any]]:
    if not entities:
        return []
    return [entities[mix(seed, i, salt * 10 + k) % len(entities)] for k in range(count)]


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        if item["entityId"] not in seen:
            seen.add(item["entityId"])
            out.append(item)
    return out


# ----- metrics -----

@dataclass(frozen=True)
class Metric:
    """A metric descriptor and how its values look."""

    metric_id: str
    display_name: str
    description: str
    unit: str
    entity_type: str
    aggregations: tuple[str, ...]
    default_aggregation: str
    scale: float
    extra_dimension: tuple[str, list[str]] | None = None

    def descriptor(self) -> dict[str, Any]:
        """Every MetricDescriptor property the fake knows."""
        dimensions = [{"key": ENTITY_TYPE_INFO[self.entity_type][1], "name": ENTITY_TYPE_INFO[self.entity_type][0],
                       "displayName": ENTITY_TYPE_INFO[self.entity_type][0], "index": 0, "type": "ENTITY"}]
        if self.extra_dimension:
            dimensions.append({"key": self.extra_dimension[0], "name": self.extra_dimension[0],
                               "displayName": self.extra_dimension[0], "index": 1, "type": "STRING"})
        return {
            "metricId": self.metric_id, "displayName": self.display_name, "description": self.description,
            "unit": self.unit, "tags": [] if self.metric_id.startswith("builtin:") else ["custom", "größe"],
            "dduBillable": not self.metric_id.startswith("builtin:"),
            "created": None if self.metric_id.startswith("builtin:") else 1_650_000_000_000,
            "lastWritten": None, "aggregationTypes": list(self.aggregations),
            "defaultAggregation": {"type": self.default_aggregation}, "dimensionDefinitions": dimensions,
            "transformations": ["filter", "fold", "limit", "merge", "names", "parents", "sort", "splitBy"],
            "entityType": [self.entity_type], "minimumValue": 0.0, "maximumValue": None,
            "rootCauseRelevant": self.metric_id.startswith("builtin:host"), "impactRelevant": False,
            "resolutionInfSupported": True, "latency": 1, "metricValueType": {"type": "unknown"},
            "unitDisplayFormat": "binary" if self.unit == "Byte" else None, "scalar": False,
        }


METRICS = [
    Metric("builtin:host.cpu.usage", "CPU usage %", "Percentage of CPU time in use.", "Percent", "HOST",
           ("auto", "avg", "max", "min"), "avg", 100.0),
    Metric("builtin:host.mem.usage", "Memory used %", "Share of memory in use.", "Percent", "HOST",
           ("auto", "avg", "max", "min"), "avg", 100.0),
    Metric("builtin:host.disk.avail", "Disk available", "Free space on the disk.", "Byte", "HOST",
           ("auto", "avg", "max", "min"), "avg", 5e11, ("dt.entity.disk", ["/", "/var", "C:\\"])),
    Metric("builtin:service.response.time", "Response time", "Server-side response time.", "MicroSecond",
           "SERVICE", ("auto", "avg", "count", "max", "median", "min", "percentile", "sum"), "avg", 250_000.0),
    Metric("builtin:service.errors.total.count", "Number of errors", "Requests that failed.", "Count", "SERVICE",
           ("auto", "value"), "value", 40.0),
    Metric("builtin:service.requestCount.total", "Request count", "Requests served.", "Count", "SERVICE",
           ("auto", "value"), "value", 5000.0),
    Metric("builtin:tech.generic.cpu.usage", "Process CPU usage", "CPU used by the process.", "Percent",
           "PROCESS_GROUP_INSTANCE", ("auto", "avg", "max", "min"), "avg", 100.0),
    Metric("builtin:apps.web.actionCount.category", "Action count (by category)", "User actions.", "Count",
           "APPLICATION", ("auto", "value"), "value", 900.0, ("Action type", ["Load", "XHR", "Custom"])),
    Metric("ext:custom.queue.depth", "Warteschlangentiefe (Aufträge)", "Aufträge in der Warteschlange — 注文",
           "Count", "HOST", ("auto", "avg", "max", "min", "sum"), "avg", 120.0, ("queue", ["orders", "refunds"])),
]


def metric_value(seed: int, metric_id: str, series: str, slot_end_ms: int, scale: float) -> float | None:
    """A data point: a daily wave plus noise; about one slot in forty has no data (null)."""
    h = mix(seed, hash_text(metric_id + "|" + series), slot_end_ms // MINUTE)
    if h % 40 == 0:
        return None
    wave = 0.5 + 0.35 * math.sin(slot_end_ms / DAY * 2 * math.pi + (h >> 40) % 7)
    noise = ((h >> 8) % 1000) / 1000 * 0.15
    return round(scale * min(1.0, wave + noise), 4)


def hash_text(text: str) -> int:
    """A stable (unsalted) hash of a string."""
    value = 1469598103934665603
    for byte in text.encode():
        value = ((value ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value
