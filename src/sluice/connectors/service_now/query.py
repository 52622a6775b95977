"""A flow's Filter comparisons and incremental window as a ServiceNow encoded query (connectors layer).

`sysparm_query` conditions (https://docs.servicenow.com/bundle/vancouver-platform-user-interface/page/use/
common-ui-elements/reference/r_OpAvailableFiltersQueries.html) are joined with `^`; a literal caret in a
value is written `^^`. The engine applies every Filter again after the read, so only comparisons whose
ServiceNow answer is a superset of AppFlow's are pushed down:

* EQUAL_TO (`=`, or `IN` for several values) and CONTAINS (`LIKE`) on text: ServiceNow compares text
  without regard to case, which only adds records;
* EQUAL_TO, LESS_THAN(_OR_EQUAL_TO), GREATER_THAN(_OR_EQUAL_TO) and BETWEEN on numbers and dates;
* datetimes: the platform may read query values in the integration user's time zone, so bounds are
  widened by `ZONE_SLACK` (the largest UTC offset) on each side; the source then keeps exactly the
  records inside the window and the engine applies the exact Filter;
* NOT_EQUAL_TO is never pushed down: ServiceNow's `!=` also drops empty values and ignores case.

Records are ordered by `sys_created_on` then `sys_id`, so offset pages stay stable while records change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sluice.connectors.rest.entities import Condition, Field, Query
from sluice.literals import parse_micros

ZONE_SLACK = 14 * 3600.0
_NUMERIC = ("integer", "double")
_COMPARE = {"LESS_THAN": "<", "LESS_THAN_OR_EQUAL_TO": "<=", "GREATER_THAN": ">", "GREATER_THAN_OR_EQUAL_TO": ">="}
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def escape(value: str) -> str:
    """A value as it may stand inside an encoded query."""
    return value.replace("^", "^^")


def instant(seconds: float) -> str:
    """Epoch seconds as ServiceNow datetime text (UTC)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime(DATETIME_FORMAT)


def _seconds(text: str) -> float | None:
    micros = parse_micros(text)
    return None if micros is None else micros / 1_000_000


def condition_term(field: Field, condition: Condition) -> str | None:
    """The encoded-query term for one Filter comparison, or None when it is not pushed down."""
    op, values, name = condition.operator, condition.values, field.name
    if not values or op == "NOT_EQUAL_TO":
        return None
    if field.type in ("datetime", "date"):
        return _time_term(field, op, values)
    if field.type in _NUMERIC:
        try:
            [float(v) for v in values]
        except ValueError:
            return None
        if op in _COMPARE:
            return f"{name}{_COMPARE[op]}{values[0]}"
        if op == "BETWEEN" and len(values) == 2:
            return f"{name}BETWEEN{values[0]}@{values[1]}"
        if op == "EQUAL_TO":
            return f"{name}={values[0]}" if len(values) == 1 else f"{name}IN{','.join(values)}"
        return None
    if field.type == "boolean":
        lowered = [v.lower() for v in values]
        if op == "EQUAL_TO" and len(lowered) == 1 and lowered[0] in ("true", "false"):
            return f"{name}={lowered[0]}"
        return None
    if field.type != "string":
        return None
    if op == "CONTAINS" and len(values) == 1 and values[0]:
        return f"{name}LIKE{escape(values[0])}"
    if op == "EQUAL_TO":
        if len(values) == 1:
            return f"{name}={escape(values[0])}"
        if all("," not in v for v in values):
            return f"{name}IN{escape(','.join(values))}"
    return None


def _time_term(field: Field, op: str, values: tuple[str, ...]) -> str | None:
    bounds = [_seconds(v) for v in values]
    if any(b is None for b in bounds):
        return None
    slack = ZONE_SLACK if field.type == "datetime" else 0.0

    def text(seconds: float) -> str:
        moment = instant(seconds)
        return moment if field.type == "datetime" else moment[:10]

    first = bounds[0]
    assert first is not None
    name = field.name
    if op in ("GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO"):
        return f"{name}>={text(first - slack)}"
    if op in ("LESS_THAN", "LESS_THAN_OR_EQUAL_TO"):
        return f"{name}<={text(first + slack)}"
    if op == "BETWEEN" and len(bounds) == 2 and bounds[1] is not None:
        return f"{name}BETWEEN{text(first - slack)}@{text(bounds[1] + slack)}"
    if op == "EQUAL_TO" and len(bounds) == 1:
        return f"{name}BETWEEN{text(first - slack)}@{text(first + slack)}"
    return None


def encoded_query(query: Query, fields: Mapping[str, Field]) -> str:
    """The `sysparm_query` for a read: pushed-down Filters, the incremental window and the order."""
    terms: list[str] = []
    for condition in query.conditions:
        field = fields.get(condition.field)
        term = condition_term(field, condition) if field is not None else None
        if term:
            terms.append(term)
    window = fields.get(query.window_field or "")
    if window is not None and query.window_end is not None:
        if query.window_start is not None:
            terms.append(f"{window.name}>={instant(query.window_start - ZONE_SLACK)}")
        terms.append(f"{window.name}<={instant(query.window_end + ZONE_SLACK)}")
    terms += [f"ORDERBY{name}" for name in ("sys_created_on", "sys_id") if name in fields]
    return "^".join(terms)
