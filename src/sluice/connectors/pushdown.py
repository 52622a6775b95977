"""What a flow's tasks ask of a source, for connectors that push work down (connectors layer).

Salesforce (SOQL) and custom connectors (filter expressions) both read the same facts from the
task list: which fields are projected or read, and a Filter's operands, with the engine's own
list reading (`sluice.literals`), so a pushed-down filter compares what the engine compares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sluice.literals import parse_list

ORDERINGS = {"LESS_THAN": "<", "GREATER_THAN": ">", "LESS_THAN_OR_EQUAL_TO": "<=", "GREATER_THAN_OR_EQUAL_TO": ">="}


def task_fields(tasks: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], bool]:
    """(projected fields, fields other tasks read, whether a Map_all task exists)."""
    projected: list[str] = []
    others: list[str] = []
    map_all = False
    for task in tasks:
        task_type = task.get("taskType")
        if task_type == "Map_all":
            map_all = True
            continue
        operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
        names = [str(n) for n in task.get("sourceFields") or [] if n]
        if task_type == "Filter" and operators == ["PROJECTION"]:
            projected += names
        elif task_type != "Partition":
            others += names
    return list(dict.fromkeys(projected)), list(dict.fromkeys(others)), map_all


def operands(operator: str, props: Mapping[str, Any]) -> list[str] | None:
    """A Filter's operand texts (VALUE, VALUES, or the BETWEEN bounds); None when unusable."""
    if operator == "BETWEEN":
        if "LOWER_BOUND" not in props or "UPPER_BOUND" not in props:
            return None
        return [str(props["LOWER_BOUND"]), str(props["UPPER_BOUND"])]
    values = [str(props["VALUE"])] if "VALUE" in props else []
    if "VALUES" in props:
        try:
            values += parse_list(str(props["VALUES"]))
        except ValueError:  # the engine refuses it too; nothing to push down
            return None
    if not values or (operator in ORDERINGS and len(values) != 1):
        return None
    return values
