"""AppFlow task lists read into typed task specs (engine layer, used by `tasks.compile`).

`read_tasks` is the one place that understands a `Task` dict: it checks what a run needs
(properties present and well formed, fields named consistently, one writer per destination
field) and raises `ValueError("tasks[i]: ...")` otherwise. `check_tasks` (create time) and
`compile_tasks` (run time) both go through it, so a flow that was accepted can always run.

The property formats follow the AppFlow API reference (`Task.taskProperties`, a string to
string map); where the reference is silent, docs/tasks.md says what Sluice accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.literals import (  # noqa: F401 - Kind, Family, family, parse_list are re-exported
    NUMBER_TEXT,
    Family,
    Kind,
    comparison_kind,
    family,
    parse_list,
    parse_micros,
)

TASK_TYPES = frozenset({
    "Arithmetic", "Filter", "Map", "Map_all", "Mask", "Merge", "Passthrough", "Truncate", "Validate", "Partition",
})
ORDERINGS = frozenset({"LESS_THAN", "GREATER_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO"})
COMPARISONS = ORDERINGS | {"EQUAL_TO", "NOT_EQUAL_TO", "BETWEEN", "CONTAINS"}
ARITHMETIC = frozenset({"ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"})
MASKS = frozenset({"MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"})
VALIDATIONS = frozenset({"VALIDATE_NON_NULL", "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"})
# The Validate action values AppFlow's console writes ("Ignore record" / "Terminate flow").
VALIDATION_ACTIONS = ("DropRecord", "TerminateFlow")

OPERATORS: dict[str, frozenset[str]] = {
    "Arithmetic": ARITHMETIC,
    "Filter": COMPARISONS | {"PROJECTION"},
    "Mask": MASKS,
    "Validate": VALIDATIONS,
}
"""Task types whose connectorOperator chooses what they do; every other type takes NO_OP or none."""

_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")


def parse_number(text: str) -> float | None:
    """A decimal number written in `text` (no NaN, infinity or digit separators), else None."""
    text = text.strip()
    return float(text) if NUMBER_TEXT.match(text) else None


def parse_datetime(text: str) -> int | None:
    """Microseconds since the epoch (UTC) for ISO-8601 text or integer epoch milliseconds, else None.

    A datetime without a zone is taken as UTC; a bare date is its midnight UTC. The reading is
    shared with the connectors that push filters down (`sluice.literals`).
    """
    return parse_micros(text)


# -- typed task specs -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Comparison:
    """A Filter with a comparison operator over one source field."""

    index: int
    source: str
    operator: str
    data_type: str | None
    values: tuple[str, ...]
    """The VALUE/VALUES operands, or (LOWER_BOUND, UPPER_BOUND) for BETWEEN."""


@dataclass(frozen=True, slots=True)
class Validation:
    index: int
    sources: tuple[str, ...]
    operator: str
    action: str


@dataclass(frozen=True, slots=True)
class Mask:
    index: int
    sources: tuple[str, ...]
    operator: str
    length: int
    value: str
    destination: str | None = None
    """destinationField: the source field itself (masked in place and written), or another output field."""


@dataclass(frozen=True, slots=True)
class Truncate:
    index: int
    sources: tuple[str, ...]
    length: int
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class MapField:
    """Map (with an optional cast) and Passthrough (never cast): one source field to one output."""

    index: int
    source: str
    destination: str
    cast: Family | None


@dataclass(frozen=True, slots=True)
class MapAll:
    index: int
    exclude: frozenset[str]
    include_new_fields: bool


@dataclass(frozen=True, slots=True)
class Merge:
    index: int
    parts: tuple[tuple[bool, str], ...]
    """(is_field, text) pieces of CONCAT_FORMAT in order."""
    destination: str


@dataclass(frozen=True, slots=True)
class Arithmetic:
    index: int
    operator: str
    sources: tuple[str, ...]
    destination: str


@dataclass(frozen=True, slots=True)
class Derived:
    """The output of Mask/Truncate tasks whose destinationField is not their source field."""

    index: int
    source: str
    destination: str


Output = MapField | MapAll | Merge | Arithmetic | Derived


@dataclass(slots=True)
class TaskSpec:
    """A checked task list, grouped by the stage of a run that uses each task."""

    projection: list[str] | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    transforms: list[Mask | Truncate] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    partition_keys: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------------------
def _a(task_type: str) -> str:
    return f"{'an' if task_type[0] in 'AEIOU' else 'a'} {task_type}"


def _fail(index: int, message: str) -> ValueError:
    return ValueError(f"tasks[{index}]: {message}")


def _operator(index: int, task: Mapping[str, Any], task_type: str) -> str | None:
    operators = task.get("connectorOperator") or {}
    if not isinstance(operators, Mapping):
        raise _fail(index, "connectorOperator must be an object naming one connector.")
    values = [v for v in operators.values() if v is not None]
    if len(values) > 1:
        raise _fail(index, "connectorOperator must name exactly one connector.")
    operator = values[0] if values else None
    allowed = OPERATORS.get(task_type)
    if allowed is None:
        if operator not in (None, "NO_OP"):
            raise _fail(index, f"{_a(task_type)} task takes the NO_OP operator, not {operator}.")
        return None
    if operator is None:
        raise _fail(index, f"{_a(task_type)} task needs a connectorOperator ({', '.join(sorted(allowed))}).")
    if operator not in allowed:
        raise _fail(index, f"operator {operator} cannot be used in a {task_type} task "
                           f"(allowed: {', '.join(sorted(allowed))}).")
    return str(operator)


def _length(index: int, props: Mapping[str, str], name: str, required: bool) -> int:
    text = props.get(name)
    if text is None:
        if required:
            raise _fail(index, f"taskProperties.{name} is required.")
        return 0
    if not re.fullmatch(r"\s*\d{1,9}\s*", text):
        raise _fail(index, f"taskProperties.{name} must be a non-negative integer, not {text!r}.")
    return int(text)


def _sources(index: int, task: Mapping[str, Any], task_type: str, exactly_one: bool = False) -> tuple[str, ...]:
    fields = tuple(task.get("sourceFields") or ())
    if not fields or not all(isinstance(f, str) and f for f in fields):
        raise _fail(index, f"{_a(task_type)} task needs sourceFields naming at least one field.")
    if exactly_one and len(fields) != 1:
        raise _fail(index, f"{_a(task_type)} task reads exactly one source field, not {len(fields)}.")
    return fields


def _destination(index: int, task: Mapping[str, Any], task_type: str) -> str:
    destination = task.get("destinationField")
    if not destination:
        raise _fail(index, f"{_a(task_type)} task needs a destinationField.")
    return str(destination)


def _comparison(index: int, task: Mapping[str, Any], operator: str, props: Mapping[str, str]) -> Comparison:
    (source,) = _sources(index, task, "Filter", exactly_one=True)
    data_type = props.get("DATA_TYPE")
    if operator == "BETWEEN":
        missing = [n for n in ("LOWER_BOUND", "UPPER_BOUND") if n not in props]
        if missing:
            raise _fail(index, f"a BETWEEN filter needs taskProperties.{' and '.join(missing)}.")
        values: list[str] = [props["LOWER_BOUND"], props["UPPER_BOUND"]]
    else:
        values = [props["VALUE"]] if "VALUE" in props else []
        if "VALUES" in props:
            try:
                values += parse_list(props["VALUES"])
            except ValueError as exc:
                raise _fail(index, f"taskProperties.VALUES {exc}.") from None
        if not values:
            raise _fail(index, f"a {operator} filter needs taskProperties.VALUE or VALUES.")
        if operator in ORDERINGS and len(values) != 1:
            raise _fail(index, f"a {operator} filter compares with one value, not {len(values)}.")
    kind = comparison_kind(data_type)
    if operator != "CONTAINS" and kind in ("number", "datetime"):
        parse = parse_number if kind == "number" else parse_datetime
        parsed = [parse(v) for v in values]
        bad = [v for v, p in zip(values, parsed, strict=True) if p is None]
        if bad:
            what = "a number" if kind == "number" else "an ISO-8601 datetime or epoch milliseconds"
            raise _fail(index, f"{bad[0]!r} is not {what}, as DATA_TYPE {data_type} needs.")
        if operator == "BETWEEN" and parsed[0] > parsed[1]:  # type: ignore[operator]
            raise _fail(index, f"LOWER_BOUND {values[0]} is greater than UPPER_BOUND {values[1]}.")
    elif operator == "BETWEEN" and values[0] > values[1]:
        raise _fail(index, f"LOWER_BOUND {values[0]!r} sorts after UPPER_BOUND {values[1]!r}.")
    return Comparison(index, source, operator, data_type, tuple(values))


def _merge(index: int, task: Mapping[str, Any], props: Mapping[str, str]) -> Merge:
    sources = _sources(index, task, "Merge")
    template = props.get("CONCAT_FORMAT")
    if template is None:
        raise _fail(index, "a Merge task needs taskProperties.CONCAT_FORMAT.")
    parts: list[tuple[bool, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append((False, template[position:match.start()]))
        name = match.group(1)
        if name not in sources:
            raise _fail(index, f"CONCAT_FORMAT refers to ${{{name}}}, which is not one of the task's "
                               f"sourceFields ({', '.join(sources)}).")
        parts.append((True, name))
        position = match.end()
    if position < len(template):
        parts.append((False, template[position:]))
    if any("${" in text for is_field, text in parts if not is_field):
        raise _fail(index, f"CONCAT_FORMAT {template!r} has a '${{' without a closing '}}'.")
    if not any(is_field for is_field, _ in parts):
        raise _fail(index, f"CONCAT_FORMAT {template!r} names no field; write fields as ${{field}}.")
    return Merge(index, tuple(parts), _destination(index, task, "Merge"))


def _arithmetic(index: int, task: Mapping[str, Any], operator: str, props: Mapping[str, str]) -> Arithmetic:
    sources = _sources(index, task, "Arithmetic")
    order: Sequence[str] = sources
    if "MATH_OPERATION_FIELDS_ORDER" in props:
        try:
            order = parse_list(props["MATH_OPERATION_FIELDS_ORDER"])
        except ValueError as exc:
            raise _fail(index, f"taskProperties.MATH_OPERATION_FIELDS_ORDER {exc}.") from None
        unknown = [f for f in order if f not in sources]
        if unknown:
            raise _fail(index, f"MATH_OPERATION_FIELDS_ORDER names {', '.join(unknown)}, "
                               f"not among the task's sourceFields.")
    if len(order) < 2:
        raise _fail(index, f"an Arithmetic task needs at least two fields for {operator}.")
    return Arithmetic(index, operator, tuple(order), _destination(index, task, "Arithmetic"))


def _read_one(index: int, task: Mapping[str, Any], spec: TaskSpec) -> None:
    task_type = task.get("taskType")
    if task_type not in TASK_TYPES:
        raise _fail(index, f"unknown taskType {task_type!r}.")
    operator = _operator(index, task, task_type)
    props = task.get("taskProperties") or {}
    if not isinstance(props, Mapping) or not all(isinstance(v, str) for v in props.values()):
        raise _fail(index, "taskProperties must map names to strings.")
    if task_type == "Filter":
        if operator == "PROJECTION":
            spec.projection = [*(spec.projection or []), *_sources(index, task, "Filter")]
        else:
            spec.comparisons.append(_comparison(index, task, str(operator), props))
    elif task_type == "Validate":
        action = props.get("VALIDATION_ACTION")
        if action not in VALIDATION_ACTIONS:
            wanted = " or ".join(VALIDATION_ACTIONS)
            if action is None:
                raise _fail(index, f"a Validate task needs taskProperties.VALIDATION_ACTION ({wanted}).")
            raise _fail(index, f"taskProperties.VALIDATION_ACTION must be {wanted}, not {action!r}.")
        spec.validations.append(Validation(index, _sources(index, task, "Validate"), str(operator), action))
    elif task_type == "Mask":
        needs_length = operator != "MASK_ALL"
        length = _length(index, props, "MASK_LENGTH", needs_length)
        spec.transforms.append(Mask(index, _sources(index, task, "Mask"), str(operator), length,
                                    props.get("MASK_VALUE") or "*", task.get("destinationField") or None))
    elif task_type == "Truncate":
        spec.transforms.append(Truncate(index, _sources(index, task, "Truncate"),
                                        _length(index, props, "TRUNCATE_LENGTH", True),
                                        task.get("destinationField") or None))
    elif task_type == "Map":
        (source,) = _sources(index, task, "Map", exactly_one=True)
        spec.outputs.append(MapField(index, source, _destination(index, task, "Map"),
                                     family(props.get("DESTINATION_DATA_TYPE"))))
    elif task_type == "Passthrough":
        sources = _sources(index, task, "Passthrough", exactly_one=bool(task.get("destinationField")))
        for source in sources:
            spec.outputs.append(MapField(index, source, task.get("destinationField") or source, None))
    elif task_type == "Map_all":
        _map_all(index, props, spec)
    elif task_type == "Merge":
        spec.outputs.append(_merge(index, task, props))
    elif task_type == "Arithmetic":
        spec.outputs.append(_arithmetic(index, task, str(operator), props))
    else:  # Partition
        if "ORDERED_PARTITION_KEYS_LIST" not in props:
            raise _fail(index, "a Partition task needs taskProperties.ORDERED_PARTITION_KEYS_LIST.")
        try:
            keys = parse_list(props["ORDERED_PARTITION_KEYS_LIST"])
        except ValueError as exc:
            raise _fail(index, f"taskProperties.ORDERED_PARTITION_KEYS_LIST {exc}.") from None
        if not keys or len(set(keys)) != len(keys):
            raise _fail(index, "ORDERED_PARTITION_KEYS_LIST must name one or more distinct fields.")
        if spec.partition_keys:
            raise _fail(index, "a flow has at most one Partition task.")
        spec.partition_keys = keys


def _map_all(index: int, props: Mapping[str, str], spec: TaskSpec) -> None:
    if any(isinstance(o, MapAll) for o in spec.outputs):
        raise _fail(index, "a flow has at most one Map_all task.")
    try:
        exclude = parse_list(props.get("EXCLUDE_SOURCE_FIELDS_LIST", "[]"))
    except ValueError as exc:
        raise _fail(index, f"taskProperties.EXCLUDE_SOURCE_FIELDS_LIST {exc}.") from None
    include = props.get("INCLUDE_NEW_FIELDS", "true").strip().lower()
    if include not in ("true", "false"):
        raise _fail(index, f"taskProperties.INCLUDE_NEW_FIELDS must be true or false, not {include!r}.")
    spec.outputs.append(MapAll(index, frozenset(exclude), include == "true"))


def _conflict(index: int, destination: str, earlier: Output) -> ValueError:
    return _fail(index, f"destinationField {destination!r} is already written by tasks[{earlier.index}]; "
                        f"each output field has one writer.")


def _transform_output(transform: Mask | Truncate, writers: dict[str, Output], spec: TaskSpec) -> None:
    """A Mask/Truncate with a destinationField writes it, unless a task sending the same field already does."""
    task_type = type(transform).__name__
    if len(transform.sources) != 1:
        raise _fail(transform.index, f"{_a(task_type)} task with a destinationField reads exactly one source "
                                     f"field, not {len(transform.sources)}.")
    (source,) = transform.sources
    destination = str(transform.destination)
    existing = writers.get(destination)
    output: Output
    if destination == source:  # changed in place; a Map of the field (or another such task) may send it
        if isinstance(existing, MapField) and existing.source == source:
            return
        output = MapField(transform.index, source, destination, None)
    else:  # a new field holding the changed value; the source value stays as it was
        if isinstance(existing, Derived) and existing.source == source:
            return
        output = Derived(transform.index, source, destination)
    if existing is not None:
        raise _conflict(transform.index, destination, existing)
    writers[destination] = output
    spec.outputs.append(output)


def read_tasks(tasks: Sequence[Mapping[str, Any]]) -> TaskSpec:
    """The checked `TaskSpec` for an AppFlow task list; ValueError("tasks[i]: ...") if it cannot run."""
    spec = TaskSpec()
    for index, task in enumerate(tasks):
        if not isinstance(task, Mapping):
            raise _fail(index, "a task must be an object.")
        _read_one(index, task, spec)
    writers: dict[str, Output] = {}
    for output in spec.outputs:
        if isinstance(output, MapAll):
            continue
        if output.destination in writers:
            raise _conflict(output.index, output.destination, writers[output.destination])
        writers[output.destination] = output
    for transform in spec.transforms:
        if transform.destination is not None:
            _transform_output(transform, writers, spec)
    if not spec.outputs:
        raise ValueError("tasks: the flow writes no fields; add a Map, Map_all, Merge, Arithmetic or "
                         "Passthrough task (or give a Mask or Truncate task a destinationField).")
    spec.outputs.sort(key=lambda o: o.index)
    map_all = next((o for o in spec.outputs if isinstance(o, MapAll)), None)
    for key in spec.partition_keys:
        partition_index = next(i for i, t in enumerate(tasks) if t.get("taskType") == "Partition")
        if key in writers:
            continue
        if map_all is None or key in map_all.exclude:
            raise _fail(partition_index, f"partition key {key!r} is not an output field of the flow.")
    return spec
