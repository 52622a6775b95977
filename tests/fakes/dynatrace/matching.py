"""Turn problemSelector / eventSelector / entitySelector text into predicates over records.

Each criterion of a selector must hold (AND); the values inside one criterion are alternatives (OR), as the
API v2 reference describes. Unknown criteria are refused with a 400, as Dynatrace does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import selectors
from .errors import bad_parameter
from .selectors import Criterion
from .timeframe import parse_time

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


def _parse(parameter: str, text: str) -> list[Criterion]:
    try:
        return selectors.parse(text)
    except ValueError as exc:
        raise bad_parameter(parameter, f"Invalid selector: {exc}") from None


def _bool(parameter: str, c: Criterion) -> bool:
    if len(c.values) != 1 or c.values[0].lower() not in ("true", "false"):
        raise bad_parameter(parameter, f"{c.name} takes true or false")
    return c.values[0].lower() == "true"


def _one(parameter: str, c: Criterion) -> str:
    if len(c.values) != 1:
        raise bad_parameter(parameter, f"You can specify only one value for {c.name}")
    return c.values[0]


def _stub_ids(stubs: list[Record] | None) -> set[str]:
    return {s["entityId"]["id"] for s in stubs or [] if s}


# ----- problems -----

def problem_predicate(text: str | None) -> Predicate:
    """A predicate for `problemSelector`."""
    if not text:
        return lambda record: True
    tests: list[Predicate] = []
    for c in _parse("problemSelector", text):
        tests.append(_problem_test(c))
    return lambda record: all(t(record) for t in tests)


def _problem_test(c: Criterion) -> Predicate:
    values = set(c.values)
    lowered = {v.lower() for v in c.values}
    name = c.name
    if name == "status":
        status = _one("problemSelector", c).upper()
        if status not in ("OPEN", "CLOSED"):
            raise bad_parameter("problemSelector", f"Unknown status '{status}'")
        return lambda r: r["status"] == status
    if name == "severityLevel":
        return lambda r: r["severityLevel"].lower() in lowered
    if name == "impactLevel":
        return lambda r: r["impactLevel"].lower() in lowered
    if name == "rootCauseEntity":
        return lambda r: bool(r["rootCauseEntity"]) and r["rootCauseEntity"]["entityId"]["id"] in values
    if name == "impactedEntities":
        return lambda r: bool(_stub_ids(r["impactedEntities"]) & values)
    if name == "affectedEntities":
        return lambda r: bool(_stub_ids(r["affectedEntities"]) & values)
    if name == "affectedEntityTypes":
        return lambda r: any(s["entityId"]["type"] in values for s in r["affectedEntities"])
    if name == "problemId":
        return lambda r: r["problemId"] in values
    if name == "displayId":
        return lambda r: r["displayId"] in values
    if name == "managementZoneIds":
        return lambda r: any(mz["id"] in values for mz in r["managementZones"])
    if name == "managementZones":
        return lambda r: any(mz["name"] in values for mz in r["managementZones"])
    if name == "problemFilterIds":
        return lambda r: any(p["id"] in values for p in r["problemFilters"])
    if name == "problemFilterNames":
        return lambda r: any(v in p["name"].lower() for p in r["problemFilters"] for v in lowered)
    if name == "problemFilterNames.equals":
        return lambda r: any(p["name"].lower() in lowered for p in r["problemFilters"])
    if name == "entityTags":
        return lambda r: any(t["stringRepresentation"] in values for t in r["entityTags"])
    if name == "underMaintenance":
        wanted = _bool("problemSelector", c)
        return lambda r: wanted is False  # the fake opens no problem during maintenance
    if name == "text":
        needle = _one("problemSelector", c).lower()
        return lambda r: needle in r["title"].lower() or needle in r["displayId"].lower() or any(
            needle in i.lower() for i in _stub_ids(r["affectedEntities"]) | _stub_ids(r["impactedEntities"]))
    raise bad_parameter("problemSelector", f"Unknown criterion '{name}'")


# ----- events -----

def event_predicate(text: str | None) -> Predicate:
    """A predicate for `eventSelector`."""
    if not text:
        return lambda record: True
    tests = [_event_test(c) for c in _parse("eventSelector", text)]
    return lambda record: all(t(record) for t in tests)


def _event_test(c: Criterion) -> Predicate:
    values = set(c.values)
    name = c.name
    flags = ("underMaintenance", "suppressAlert", "suppressProblem", "frequentEvent")
    if name == "eventId":
        return lambda r: r["eventId"] in values
    if name == "entityId":
        return lambda r: bool(r["entityId"]) and r["entityId"]["entityId"]["id"] in values
    if name == "status":
        status = _one("eventSelector", c).upper()
        return lambda r: r["status"] == status
    if name == "managementZoneId":
        return lambda r: any(mz["id"] in values for mz in r["managementZones"])
    if name == "eventType":
        event_type = _one("eventSelector", c)
        return lambda r: r["eventType"] == event_type
    if name == "correlationId":
        return lambda r: r["correlationId"] in values
    if name in flags:
        wanted = _bool("eventSelector", c)
        return lambda r: r[name] is wanted
    if name.startswith("property."):
        key = name[len("property."):]
        return lambda r: any(p["key"] == key and p["value"] in values for p in r["properties"])
    raise bad_parameter("eventSelector", f"Unknown criterion '{name}'")


# ----- entities -----

def entity_predicate(text: str, now_ms: int, index: dict[str, Record], require_type: bool = True,
                     parameter: str = "entitySelector") -> Predicate:
    """A predicate for `entitySelector`; `type(...)` or `entityId(...)` is required, as the docs say."""
    criteria = _parse(parameter, text)
    if require_type and not any(c.name in ("type", "entityId") for c in criteria):
        raise bad_parameter(parameter, "The entity selector must contain type(...) or entityId(...).")
    tests = [_entity_test(c, now_ms, index, parameter) for c in criteria]
    return lambda record: all(t(record) for t in tests)


def _entity_test(c: Criterion, now_ms: int, index: dict[str, Record], parameter: str) -> Predicate:
    values = set(c.values)
    name = c.name
    if name == "type":
        wanted = _one(parameter, c)
        return lambda e: e["type"] == wanted
    if name == "entityId":
        return lambda e: e["entityId"] in values
    if name == "tag":
        return lambda e: any(t["stringRepresentation"] in values or t["key"] in values for t in e["tags"])
    if name == "mzId":
        return lambda e: any(mz["id"] in values for mz in e["managementZones"])
    if name == "mzName":
        return lambda e: any(mz["name"] in values for mz in e["managementZones"])
    if name in ("entityName", "entityName.equals", "entityName.in"):
        lowered = {v.lower() for v in values}
        return lambda e: e["displayName"].lower() in lowered
    if name == "entityName.startsWith":
        prefix = _one(parameter, c).lower()
        return lambda e: e["displayName"].lower().startswith(prefix)
    if name == "caseSensitive":
        inner = selectors.parse(c.raw)
        if len(inner) != 1 or not inner[0].name.startswith("entityName"):
            raise bad_parameter(parameter, "caseSensitive takes one entityName criterion")
        term = inner[0]
        if term.name == "entityName.startsWith":
            return lambda e: e["displayName"].startswith(term.values[0])
        return lambda e: e["displayName"] in set(term.values)
    if name == "healthState":
        return lambda e: e["_health"] in values
    if name.startswith("firstSeenTms."):
        return _time_test(name.split(".", 1)[1], _one(parameter, c), now_ms, parameter)
    if name == "not":
        inner_test = entity_predicate(c.raw, now_ms, index, require_type=False, parameter=parameter)
        return lambda e: not inner_test(e)
    for direction in ("fromRelationships", "toRelationships"):
        if name.startswith(direction + "."):
            relationship = name.split(".", 1)[1]
            related = entity_predicate(c.raw, now_ms, index, require_type=False, parameter=parameter)
            return lambda e, d=direction: any(
                ref["id"] in index and related(index[ref["id"]]) for ref in e[d].get(relationship, []))
    if name.endswith(".exists()") or (name.endswith(".exists") and not c.values):
        attribute = name.split(".")[0]
        return lambda e: e["properties"].get(attribute) not in (None, [], "")
    attribute = name
    return lambda e: _attribute_matches(e["properties"].get(attribute), values)


def _time_test(operator: str, text: str, now_ms: int, parameter: str) -> Predicate:
    try:
        moment = parse_time(text, now_ms)
    except ValueError as exc:
        raise bad_parameter(parameter, str(exc)) from None
    compare = {"lte": lambda t: t <= moment, "lt": lambda t: t < moment,
               "gte": lambda t: t >= moment, "gt": lambda t: t > moment}.get(operator)
    if compare is None:
        raise bad_parameter(parameter, f"Unknown operator '{operator}' for firstSeenTms")
    return lambda e: compare(e["firstSeenTms"])


def _attribute_matches(value: Any, wanted: set[str]) -> bool:
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    return value is not None and str(value) in wanted
