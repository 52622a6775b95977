"""Proto enums on the wire: names by default, numbers when the client asks `$alt=json;enum-encoding=int`
(https://cloud.google.com/apis/docs/system-parameters; Google's generated REST clients always ask)."""

from __future__ import annotations

from typing import Any

MATCH_TYPES = ("MATCH_TYPE_UNSPECIFIED", "EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP",
               "PARTIAL_REGEXP")
OPERATIONS = ("OPERATION_UNSPECIFIED", "EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "GREATER_THAN",
              "GREATER_THAN_OR_EQUAL")
ORDER_TYPES = ("ORDER_TYPE_UNSPECIFIED", "ALPHANUMERIC", "CASE_INSENSITIVE_ALPHANUMERIC", "NUMERIC")
AGGREGATIONS = {0: "METRIC_AGGREGATION_UNSPECIFIED", 1: "TOTAL", 4: "COUNT", 5: "MINIMUM", 6: "MAXIMUM"}
METRIC_TYPES = {"METRIC_TYPE_UNSPECIFIED": 0, "TYPE_INTEGER": 1, "TYPE_FLOAT": 2, "TYPE_SECONDS": 4,
                "TYPE_MILLISECONDS": 5, "TYPE_MINUTES": 6, "TYPE_HOURS": 7, "TYPE_STANDARD": 8, "TYPE_CURRENCY": 9,
                "TYPE_FEET": 10, "TYPE_MILES": 11, "TYPE_METERS": 12, "TYPE_KILOMETERS": 13}


def name(value: Any, names: tuple[str, ...] | dict[int, str]) -> str:
    """An enum member's name, whether the wire carried its name or its number."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return names[value]
        except (IndexError, KeyError):
            return str(value)
    return str(value)


def wants_numbers(alt: str | None) -> bool:
    """True when the request's `$alt` asks for enum numbers."""
    return "enum-encoding=int" in (alt or "")


def metric_types_as_numbers(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with every metric `type` as its number (for `enum-encoding=int`)."""
    for key in ("metricHeaders", "metrics"):
        for item in answer.get(key) or []:
            if "type" in item:
                item["type"] = METRIC_TYPES.get(item["type"], 0)
    return answer
