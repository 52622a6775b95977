"""Property tests: the Arrow task kernels agree with plain-Python references, record by record."""

from __future__ import annotations

import math
import operator
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


# -- any task list: refused with ValueError, or runs (raising nothing but TaskError) -------------
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


OPERATORS_OF = {
    "Arithmetic": ["ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"],
    "Filter": ["PROJECTION", "LESS_THAN", "GREATER_THAN", "BETWEEN", "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"],
    "Mask": ["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"],
    "Validate": ["VALIDATE_NON_NULL", "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"],
}
USUAL_PROPERTIES = {
    "Filter": {"VALUE": st.sampled_from(["1", "a", "2024-01-01"]), "DATA_TYPE": st.sampled_from(["integer", "string"]),
               "LOWER_BOUND": st.just("0"), "UPPER_BOUND": st.just("5")},
    "Mask": {"MASK_LENGTH": st.sampled_from(["0", "2"]), "MASK_VALUE": st.sampled_from(["*", "ab"])},
    "Truncate": {"TRUNCATE_LENGTH": st.sampled_from(["0", "3"])},
    "Merge": {"CONCAT_FORMAT": st.sampled_from(["${a}", "${a}-${b}", "x${b}${a}"])},
    "Validate": {"VALIDATION_ACTION": st.sampled_from(["DropRecord", "TerminateFlow"])},
    "Map": {"DESTINATION_DATA_TYPE": st.sampled_from(["integer", "double", "boolean", "date", "string"])},
    "Map_all": {"INCLUDE_NEW_FIELDS": st.sampled_from(["true", "false"]), "EXCLUDE_SOURCE_FIELDS_LIST": st.just("b")},
    "Partition": {"ORDERED_PARTITION_KEYS_LIST": st.sampled_from(["a", "x", "a,b"])},
    "Arithmetic": {"MATH_OPERATION_FIELDS_ORDER": st.sampled_from(["b,a", "a,b,c"])},
}


@st.composite
def likely_task(draw: st.DrawFn) -> dict[str, Any]:
    """A task that is usually well formed, so that most generated lists get past check_tasks."""
    task_type = draw(st.sampled_from([*sorted(USUAL_PROPERTIES), "Passthrough"]))
    task: dict[str, Any] = {"taskType": task_type,
                            "sourceFields": draw(st.lists(FIELDS, min_size=1, max_size=3, unique=True))}
    if task_type in OPERATORS_OF:
        task["connectorOperator"] = {"S3": draw(st.sampled_from(OPERATORS_OF[task_type]))}
    if task_type in ("Map", "Merge", "Arithmetic") or draw(st.booleans()):
        task["destinationField"] = draw(st.sampled_from(["x", "y", "z", "a"]))
    if task_type in ("Map", "Filter") and draw(st.integers(0, 3)):
        task["sourceFields"] = task["sourceFields"][:1]
    usual = USUAL_PROPERTIES.get(task_type, {})
    required = {"ORDERED_PARTITION_KEYS_LIST", "TRUNCATE_LENGTH", "VALIDATION_ACTION", "CONCAT_FORMAT",
                "MASK_LENGTH", "VALUE", "LOWER_BOUND", "UPPER_BOUND"}
    task["taskProperties"] = {key: draw(value) for key, value in usual.items()
                              if key in required or draw(st.booleans())}
    return task


OUTPUT = {"taskType": "Map", "sourceFields": ["c"], "destinationField": "out"}
likely_tasks = st.tuples(st.lists(likely_task(), min_size=1, max_size=4), st.booleans()).map(
    lambda drawn: [*drawn[0], OUTPUT] if drawn[1] else drawn[0])
rows_strategy = st.lists(st.tuples(text, text, text), max_size=6)


def refused_cleanly_or_runs(tasks: list[dict[str, Any]], rows: list[Any]) -> bool:
    """True if the list ran; False if check_tasks refused it (with a ValueError naming the task)."""
    try:
        check_tasks(tasks)
    except ValueError as exc:
        assert str(exc).startswith("tasks")
        return False
    batch = pa.RecordBatch.from_pydict({name: pa.array([r[i] for r in rows], pa.string())
                                        for i, name in enumerate("abc")})
    pipeline = compile_tasks(tasks, ["a", "b", "c"])
    try:
        out = pipeline.apply(batch)
    except TaskError:
        return True
    assert out.num_rows + pipeline.dropped <= len(rows)
    assert len(set(out.schema.names)) == len(out.schema.names)
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tasks_strategy, rows_strategy)
def test_any_task_list_is_refused_cleanly_or_runs(tasks: list[dict[str, Any]], rows: list[Any]) -> None:
    refused_cleanly_or_runs(tasks, rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(likely_tasks, rows_strategy)
def test_an_accepted_task_list_runs(tasks: list[dict[str, Any]], rows: list[Any]) -> None:
    refused_cleanly_or_runs(tasks, rows)
