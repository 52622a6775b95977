"""Property tests: the Arrow task kernels agree with plain-Python references, record by record."""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.engine.tasks import TaskError, check_tasks, compile_tasks
from sluice.engine.tasks.spec import parse_datetime, parse_number

ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "LESS_THAN": operator.lt, "GREATER_THAN": operator.gt, "LESS_THAN_OR_EQUAL_TO": operator.le,
    "GREATER_THAN_OR_EQUAL_TO": operator.ge, "EQUAL_TO": operator.eq, "NOT_EQUAL_TO": operator.ne,
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def filtered_ids(filter_task: dict[str, Any], column: list[str | None]) -> list[int]:
    tasks = [filter_task, {"taskType": "Map", "sourceFields": ["id"], "destinationField": "id"}]
    batch = pa.RecordBatch.from_pydict({"id": list(range(len(column))), "v": pa.array(column, pa.string())})
    return [row["id"] for row in compile_tasks(tasks).apply(batch).to_pylist()]


def comparison(op: str, data_type: str | None, **props: str) -> dict[str, Any]:
    if data_type:
        props["DATA_TYPE"] = data_type
    return {"taskType": "Filter", "sourceFields": ["v"], "connectorOperator": {"S3": op}, "taskProperties": props}


number_text = st.one_of(
    st.none(), st.just(""), st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["abc", " 5 ", "1e2", "-0", ".5", "5.", "1,000", "12abc"]),
)


@SETTINGS
@given(st.lists(number_text, max_size=30), st.sampled_from(sorted(ORDER)), st.integers(-1000, 1000),
       st.sampled_from(["integer", "double", "Decimal", "long"]))
def test_numeric_filter_matches_python(column: list[str | None], op: str, value: int, data_type: str) -> None:
    def keep(text: str | None) -> bool:
        number = None if text is None else parse_number(text)
        return number is not None and ORDER[op](number, float(value))

    expected = [i for i, text in enumerate(column) if keep(text)]
    assert filtered_ids(comparison(op, data_type, VALUE=str(value)), column) == expected


@SETTINGS
@given(st.lists(number_text, max_size=30), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_between_filter_matches_python(column: list[str | None], low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)

    def keep(text: str | None) -> bool:
        number = None if text is None else parse_number(text)
        return number is not None and low <= number <= high

    expected = [i for i, text in enumerate(column) if keep(text)]
    task = comparison("BETWEEN", "number", LOWER_BOUND=str(low), UPPER_BOUND=str(high))
    assert filtered_ids(task, column) == expected


text = st.one_of(st.none(), st.text(st.sampled_from("aAbZ09 é€😀-"), max_size=6))


@SETTINGS
@given(st.lists(text, max_size=30), st.sampled_from([*sorted(ORDER), "CONTAINS"]),
       st.text(st.sampled_from("aAbZ09 é€😀-"), min_size=1, max_size=3), st.sampled_from([None, "string"]))
def test_text_filter_matches_python(column: list[str | None], op: str, value: str, data_type: str | None) -> None:
    def keep(cell: str | None) -> bool:
        if not cell:  # null and blank never match
            return False
        return value in cell if op == "CONTAINS" else ORDER[op](cell, value)

    expected = [i for i, cell in enumerate(column) if keep(cell)]
    assert filtered_ids(comparison(op, data_type, VALUE=value), column) == expected


@SETTINGS
@given(st.lists(text, max_size=20), st.lists(st.text("ab", min_size=1, max_size=2), min_size=1, max_size=3),
       st.booleans())
def test_equal_to_values_matches_python(column: list[str | None], values: list[str], negate: bool) -> None:
    def keep(cell: str | None) -> bool:
        return bool(cell) and ((cell not in values) if negate else (cell in values))

    expected = [i for i, cell in enumerate(column) if keep(cell)]
    op = "NOT_EQUAL_TO" if negate else "EQUAL_TO"
    assert filtered_ids(comparison(op, "string", VALUES=",".join(values)), column) == expected


moments = st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))


def spell(moment: datetime, style: int) -> str:
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if style == 2:
        return str(int(moment.timestamp() * 1000))
    if style == 3:
        return moment.astimezone(UTC).date().isoformat()
    return moment.astimezone(UTC).astimezone(timezone_plus_two()).isoformat()


def timezone_plus_two() -> Any:
    from datetime import timezone
    return timezone(timedelta(hours=2))


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.tuples(moments, st.integers(0, 4))), max_size=20),
       st.sampled_from(sorted(ORDER)), moments)
def test_datetime_filter_matches_python(cells: list[Any], op: str, value: datetime) -> None:
    column = [None if cell is None else spell(*cell) for cell in cells]
    bound = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    reference = parse_datetime(bound)

    def keep(cell: str | None) -> bool:
        instant = None if cell is None else parse_datetime(cell)
        return instant is not None and ORDER[op](instant, reference)

    expected = [i for i, cell in enumerate(column) if keep(cell)]
    assert filtered_ids(comparison(op, "datetime", VALUE=bound), column) == expected


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from("ab€😀 "), max_size=8)), max_size=20),
       st.sampled_from(["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"]), st.integers(0, 10),
       st.sampled_from(["*", "#", "xy"]), st.integers(0, 10))
def test_mask_and_truncate_match_python(column: list[str | None], op: str, n: int, mask: str, width: int) -> None:
    def masked(cell: str) -> str:
        if op == "MASK_ALL":
            return mask * len(cell)
        k = min(n, len(cell))
        return mask * k + cell[k:] if op == "MASK_FIRST_N" else cell[:len(cell) - k] + mask * k

    tasks: list[dict[str, Any]] = [
        {"taskType": "Map", "sourceFields": ["v"], "destinationField": "v"},
        {"taskType": "Mask", "sourceFields": ["v"], "connectorOperator": {"S3": op},
         "taskProperties": {"MASK_LENGTH": str(n), "MASK_VALUE": mask}},
        {"taskType": "Truncate", "sourceFields": ["v"], "taskProperties": {"TRUNCATE_LENGTH": str(width)}},
    ]
    out = compile_tasks(tasks).apply(pa.RecordBatch.from_pydict({"v": pa.array(column, pa.string())}))
    assert out.column(0).to_pylist() == [masked(c)[:width] if c else None for c in column]


operands = st.one_of(st.none(), st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=False).map(repr),
                     st.sampled_from(["0", "-0.0", "x", "", "1e308", "-1e308"]))


@SETTINGS
@given(st.lists(st.lists(operands, min_size=3, max_size=3), max_size=20),
       st.sampled_from(["ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"]))
def test_arithmetic_matches_python(rows: list[list[str | None]], op: str) -> None:
    def step(a: float, b: float) -> float | None:
        try:
            result = {"ADDITION": operator.add, "SUBTRACTION": operator.sub,
                      "MULTIPLICATION": operator.mul, "DIVISION": operator.truediv}[op](a, b)
        except (ZeroDivisionError, OverflowError):
            return None
        return result if math.isfinite(result) else None

    def reference(row: list[str | None]) -> float | None:
        numbers = [None if cell is None else parse_number(cell) for cell in row]
        if any(n is None or not math.isfinite(n) for n in numbers):
            return None
        result: float | None = numbers[0]
        for n in numbers[1:]:
            result = None if result is None else step(result, n)  # type: ignore[arg-type]
        return result

    tasks = [{"taskType": "Arithmetic", "sourceFields": ["a", "b", "c"], "connectorOperator": {"S3": op},
              "destinationField": "r"}]
    columns = {name: pa.array([row[i] for row in rows], pa.string()) for i, name in enumerate("abc")}
    out = compile_tasks(tasks).apply(pa.RecordBatch.from_pydict(columns))
    assert out.column(0).to_pylist() == [reference(row) for row in rows]


@SETTINGS
@given(st.lists(st.tuples(text, text), max_size=10), st.text(st.sampled_from("-$ {}x"), max_size=4))
def test_merge_matches_python(rows: list[tuple[str | None, str | None]], glue: str) -> None:
    while "${" in glue:  # one pass can create a new "${" (e.g. "${{" -> "${")
        glue = glue.replace("${", "$")
    fmt = "${a}" + glue + "${b}"
    tasks = [{"taskType": "Merge", "sourceFields": ["a", "b"], "destinationField": "m",
              "taskProperties": {"CONCAT_FORMAT": fmt}}]
    batch = pa.RecordBatch.from_pydict({"a": pa.array([r[0] for r in rows], pa.string()),
                                        "b": pa.array([r[1] for r in rows], pa.string())})
    out = compile_tasks(tasks).apply(batch)
    literal = fmt[len("${a}"):-len("${b}")]
    assert out.column(0).to_pylist() == [(a or "") + literal + (b or "") for a, b in rows]


# -- any task list: refused with a model-worded ValueError, or runs (raising nothing but TaskError) --
FIELDS = st.sampled_from(["a", "b", "c"])
OPERATORS = st.sampled_from([
    "PROJECTION", "LESS_THAN", "GREATER_THAN", "BETWEEN", "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS", "ADDITION",
    "DIVISION", "MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N", "VALIDATE_NON_NULL", "VALIDATE_NUMERIC", "NO_OP", "BOGUS",
])
PROPERTY_VALUES = st.sampled_from([
    "1", "0", "-3", "2.5", "abc", "[]", '["a"]', '["a", "b"]', "a,b", "${a}-${b}", "${c", "true", "false",
    "DropRecord", "TerminateFlow", "integer", "datetime", "string", "2024-01-01", "[", "{}",
])
PROPERTY_KEYS = st.sampled_from([
    "VALUE", "VALUES", "DATA_TYPE", "UPPER_BOUND", "LOWER_BOUND", "DESTINATION_DATA_TYPE", "VALIDATION_ACTION",
    "MASK_VALUE", "MASK_LENGTH", "TRUNCATE_LENGTH", "MATH_OPERATION_FIELDS_ORDER", "CONCAT_FORMAT",
    "EXCLUDE_SOURCE_FIELDS_LIST", "INCLUDE_NEW_FIELDS", "ORDERED_PARTITION_KEYS_LIST",
])
tasks_strategy = st.lists(st.fixed_dictionaries(
    {"taskType": st.sampled_from(["Arithmetic", "Filter", "Map", "Map_all", "Mask", "Merge", "Passthrough",
                                  "Truncate", "Validate", "Partition"]),
     "sourceFields": st.lists(FIELDS, max_size=3)},
    optional={"connectorOperator": OPERATORS.map(lambda op: {"S3": op}),
              "destinationField": st.sampled_from(["a", "x", "y", ""]),
              "taskProperties": st.dictionaries(PROPERTY_KEYS, PROPERTY_VALUES, max_size=4)},
), min_size=1, max_size=5)


# -- task lists valid by construction: accepted, run, and write exactly the fields they declare ----
OPERATORS_OF = {
    "Arithmetic": ["ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"],
    "Filter": ["LESS_THAN", "GREATER_THAN", "BETWEEN", "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"],
    "Mask": ["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"],
    "Validate": ["VALIDATE_NON_NULL", "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"],
}
SOURCES = ["a", "b", "c"]
NEW_NAMES = ["x", "y", "z", "w", "v", "u"]
GLUE = st.text(st.sampled_from("-_ :x"), max_size=2)


def some_sources(draw: st.DrawFn, least: int = 1, most: int = 3) -> list[str]:
    return draw(st.lists(st.sampled_from(SOURCES), min_size=least, max_size=most, unique=True))


@st.composite
def row_task(draw: st.DrawFn) -> dict[str, Any]:
    """A task that writes no field: a comparison or projection Filter, a Validate, an in-place Mask or Truncate."""
    kind = draw(st.sampled_from(["compare", "project", "validate", "mask", "truncate"]))
    if kind == "project":
        return {"taskType": "Filter", "sourceFields": some_sources(draw), "connectorOperator": {"S3": "PROJECTION"}}
    if kind == "compare":
        op = draw(st.sampled_from(OPERATORS_OF["Filter"]))
        numeric = op != "CONTAINS" and draw(st.booleans())
        if op == "BETWEEN":
            low, high = sorted(draw(st.lists(st.integers(-5, 5) if numeric else st.text("ab", max_size=2),
                                             min_size=2, max_size=2)))
            props = {"LOWER_BOUND": str(low), "UPPER_BOUND": str(high)}
        else:
            props = {"VALUE": str(draw(st.integers(-5, 5))) if numeric else draw(st.text("ab", min_size=1, max_size=2))}
        props["DATA_TYPE"] = "integer" if numeric else "string"
        return {"taskType": "Filter", "sourceFields": [draw(st.sampled_from(SOURCES))],
                "connectorOperator": {"S3": op}, "taskProperties": props}
    if kind == "validate":
        # TerminateFlow stops the run on the first bad value: rare, so most lists run to the end.
        action = draw(st.sampled_from(["DropRecord"] * 4 + ["TerminateFlow"]))
        return {"taskType": "Validate", "sourceFields": some_sources(draw),
                "connectorOperator": {"S3": draw(st.sampled_from(OPERATORS_OF["Validate"]))},
                "taskProperties": {"VALIDATION_ACTION": action}}
    return in_place(draw, "Mask" if kind == "mask" else "Truncate")


def in_place(draw: st.DrawFn, task_type: str) -> dict[str, Any]:
    """A Mask or Truncate task changing its source fields in place."""
    if task_type == "Mask":
        return {"taskType": "Mask", "sourceFields": some_sources(draw),
                "connectorOperator": {"S3": draw(st.sampled_from(OPERATORS_OF["Mask"]))},
                "taskProperties": {"MASK_LENGTH": str(draw(st.integers(0, 3))), "MASK_VALUE": "*"}}
    return {"taskType": "Truncate", "sourceFields": some_sources(draw),
            "taskProperties": {"TRUNCATE_LENGTH": str(draw(st.integers(0, 3)))}}


@st.composite
def valid_task_list(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    """(tasks, the output fields they declare in order): every task well formed, one writer per field."""
    names = iter(draw(st.permutations(NEW_NAMES)))
    tasks: list[dict[str, Any]] = []
    written: list[str] = []  # destinations of the explicit writers, in task order
    map_all: dict[str, Any] | None = None
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["Map", "Passthrough", "Merge", "Arithmetic", "Mask", "Truncate"]))
        if kind == "Map":
            task: dict[str, Any] = {"taskType": "Map", "sourceFields": [draw(st.sampled_from(SOURCES))],
                                    "destinationField": next(names)}
            if draw(st.booleans()):
                cast = draw(st.sampled_from(["integer", "double", "boolean", "date", "string"]))
                task["taskProperties"] = {"DESTINATION_DATA_TYPE": cast}
        elif kind == "Passthrough":
            free = [f for f in SOURCES if f not in written]
            if free and draw(st.booleans()):  # keeps its name: needs no destinationField
                task = {"taskType": "Passthrough", "sourceFields": [draw(st.sampled_from(free))]}
            else:
                task = {"taskType": "Passthrough", "sourceFields": [draw(st.sampled_from(SOURCES))],
                        "destinationField": next(names)}
        elif kind == "Merge":
            sources = some_sources(draw)
            used = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3))
            template = "".join(draw(GLUE) + "${" + name + "}" for name in used) + draw(GLUE)
            task = {"taskType": "Merge", "sourceFields": sources, "destinationField": next(names),
                    "taskProperties": {"CONCAT_FORMAT": template}}
        elif kind == "Arithmetic":
            sources = some_sources(draw, least=2)
            task = {"taskType": "Arithmetic", "sourceFields": sources, "destinationField": next(names),
                    "connectorOperator": {"S3": draw(st.sampled_from(OPERATORS_OF["Arithmetic"]))}}
            if draw(st.booleans()):
                order = draw(st.permutations(sources))
                task["taskProperties"] = {"MATH_OPERATION_FIELDS_ORDER": ",".join(order)}
        else:  # a Mask or Truncate writing its result to a new field
            task = in_place(draw, kind)
            task["sourceFields"] = task["sourceFields"][:1]
            task["destinationField"] = next(names)
        tasks.append(task)
        written.append(task.get("destinationField") or task["sourceFields"][0])
    if draw(st.booleans()):
        exclude = draw(st.lists(st.sampled_from(SOURCES), max_size=2, unique=True))
        map_all = {"taskType": "Map_all", "sourceFields": [],
                   "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": json.dumps(exclude),
                                      "INCLUDE_NEW_FIELDS": draw(st.sampled_from(["true", "false"]))}}
        tasks.insert(draw(st.integers(0, len(tasks))), map_all)
    for _ in range(draw(st.integers(0, 3))):
        tasks.insert(draw(st.integers(0, len(tasks))), draw(row_task()))
    # What the run writes: each writer's field at its place; Map_all's, the read fields no writer names.
    projected = [f for t in tasks if t.get("connectorOperator") == {"S3": "PROJECTION"} for f in t["sourceFields"]]
    declared: list[str] = []
    writers = iter(written)
    for task in tasks:
        if task is map_all:
            excluded = set(json.loads(task["taskProperties"]["EXCLUDE_SOURCE_FIELDS_LIST"])) | set(written)
            declared += [f for f in dict.fromkeys(projected or SOURCES) if f not in excluded]
        elif task["taskType"] in ("Map", "Passthrough", "Merge", "Arithmetic") or task.get("destinationField"):
            declared.append(next(writers))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(declared), min_size=1, max_size=2, unique=True))
        tasks.insert(draw(st.integers(0, len(tasks))), {
            "taskType": "Partition", "sourceFields": keys,
            "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": json.dumps(keys)}})
    return tasks, declared


rows_strategy = st.lists(st.tuples(text, text, text), max_size=6)
MODEL_WORDED = re.compile(r"^tasks(\[(?P<index>\d+)\])?: [a-zA-Z$'\"].*\.$", re.DOTALL)


def batch_of(rows: list[Any]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({name: pa.array([r[i] for r in rows], pa.string())
                                       for i, name in enumerate(SOURCES)})


def run_accepted(tasks: list[dict[str, Any]], rows: list[Any]) -> pa.RecordBatch | None:
    """The output of an accepted list; None when a TerminateFlow Validate stopped it, as it may."""
    pipeline = compile_tasks(tasks, SOURCES)
    try:
        out = pipeline.apply(batch_of(rows))
    except TaskError as exc:
        match = MODEL_WORDED.match(str(exc))
        assert match and match["index"] is not None, str(exc)
        stopper = tasks[int(match["index"])]
        assert stopper["taskType"] == "Validate"
        assert stopper["taskProperties"]["VALIDATION_ACTION"] == "TerminateFlow"
        return None
    assert out.num_rows + pipeline.dropped <= len(rows)
    if not any(t["taskType"] in ("Filter", "Validate") and t.get("connectorOperator") != {"S3": "PROJECTION"}
               for t in tasks):
        assert out.num_rows == len(rows)  # nothing filters or drops: every record comes out
    assert len(set(out.schema.names)) == len(out.schema.names)
    return out


def refused_cleanly(tasks: list[dict[str, Any]]) -> bool:
    """True when check_tasks refused the list with a message in the model's words naming a real task."""
    try:
        check_tasks(tasks)
    except ValueError as exc:
        match = MODEL_WORDED.match(str(exc))
        assert match, f"not a model-worded refusal: {exc}"
        assert match["index"] is None or int(match["index"]) < len(tasks)
        assert not re.search(r"Traceback|NoneType|KeyError|object has no attribute", str(exc))
        return True
    return False


def mutated(drawn: tuple[list[dict[str, Any]], list[str]], data: st.DataObject) -> list[dict[str, Any]]:
    """A valid list with one thing changed that usually makes it invalid."""
    tasks = [dict(t, taskProperties=dict(t.get("taskProperties") or {})) for t in drawn[0]]
    task = data.draw(st.sampled_from(tasks))
    change = data.draw(st.sampled_from(["property", "operator", "sources", "destination", "type", "value"]))
    if change == "property" and task["taskProperties"]:
        del task["taskProperties"][data.draw(st.sampled_from(sorted(task["taskProperties"])))]
    elif change == "operator":
        task["connectorOperator"] = {"S3": data.draw(OPERATORS)}
    elif change == "sources":
        task["sourceFields"] = data.draw(st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=3))
    elif change == "destination":
        task["destinationField"] = data.draw(st.sampled_from(["", "a", "x", "y"]))
    elif change == "type":
        task["taskType"] = data.draw(st.sampled_from([*OPERATORS_OF, "Map", "Merge", "Partition", "Nope"]))
    else:
        task["taskProperties"][data.draw(PROPERTY_KEYS)] = data.draw(PROPERTY_VALUES)
    return tasks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_task_list(), rows_strategy)
def test_an_accepted_task_list_runs(drawn: tuple[list[dict[str, Any]], list[str]], rows: list[Any]) -> None:
    tasks, declared = drawn
    check_tasks(tasks)  # valid by construction: a refusal here is the engine refusing a good list
    out = run_accepted(tasks, rows)
    if out is not None:
        assert out.schema.names == declared


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_task_list_is_refused_cleanly_or_runs(data: st.DataObject) -> None:
    # Mostly lists one change away from valid (what a person gets wrong), some raw noise, some valid.
    source = data.draw(st.sampled_from(["valid", "valid", "mutated", "mutated", "raw"]))
    if source == "raw":
        tasks = data.draw(tasks_strategy)
    else:
        drawn = data.draw(valid_task_list())
        tasks = drawn[0] if source == "valid" else mutated(drawn, data)
    if refused_cleanly(tasks):
        assert source != "valid"
        return
    out = run_accepted(tasks, data.draw(rows_strategy))
    if out is not None:  # every output field is one a task names
        named = {t.get("destinationField") for t in tasks} | {f for t in tasks for f in t.get("sourceFields") or []}
        assert set(out.schema.names) <= named | set(SOURCES)
