"""Unit tests of the task engine: check_tasks' refusals, run-time semantics, and Arrow edge cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from sluice.engine.tasks import TaskError, TaskPipeline, check_tasks, compile_tasks


def task(task_type: str, sources: list[str], operator: str | None = "NO_OP", destination: str | None = None,
         **props: str) -> dict[str, Any]:
    t: dict[str, Any] = {"taskType": task_type, "sourceFields": sources}
    if operator is not None:
        t["connectorOperator"] = {"S3": operator}
    if destination is not None:
        t["destinationField"] = destination
    if props:
        t["taskProperties"] = props
    return t


def map_(source: str, destination: str | None = None, **props: str) -> dict[str, Any]:
    return task("Map", [source], destination=destination or source, **props)


def run(tasks: list[dict[str, Any]], data: dict[str, list[Any]] | pa.RecordBatch,
        source_fields: list[str] | None = None) -> list[dict[str, Any]]:
    batch = data if isinstance(data, pa.RecordBatch) else pa.RecordBatch.from_pydict(data)
    return compile_tasks(tasks, source_fields).apply(batch).to_pylist()


# -- check_tasks -----------------------------------------------------------------------------
REFUSED = [
    ([task("Filter", ["a"], "PROJECTION")], "tasks: the flow writes no fields"),
    ([task("Validate", ["a"], "VALIDATE_NON_NULL", VALIDATION_ACTION="DropRecord")], "writes no fields"),
    ([task("Sort", ["a"])], "tasks[0]: unknown taskType 'Sort'"),
    ([map_("a"), task("Filter", ["a"], None, VALUE="1")], "tasks[1]: a Filter task needs a connectorOperator"),
    ([map_("a"), task("Filter", ["a"], "ADDITION", VALUE="1")], "operator ADDITION cannot be used in a Filter"),
    ([task("Map", ["a"], "MASK_ALL", "a")], "tasks[0]: a Map task takes the NO_OP operator"),
    ([{**map_("a"), "connectorOperator": {"S3": "NO_OP", "Salesforce": "NO_OP"}}], "exactly one connector"),
    ([map_("a"), task("Filter", ["a"], "LESS_THAN")], "tasks[1]: a LESS_THAN filter needs taskProperties.VALUE"),
    ([map_("a"), task("Filter", ["a", "b"], "EQUAL_TO", VALUE="1")], "reads exactly one source field, not 2"),
    ([map_("a"), task("Filter", ["a"], "LESS_THAN", VALUES="[1, 2]")], "compares with one value, not 2"),
    ([map_("a"), task("Filter", ["a"], "GREATER_THAN", DATA_TYPE="integer", VALUE="ten")], "'ten' is not a number"),
    ([map_("a"), task("Filter", ["a"], "EQUAL_TO", DATA_TYPE="Double", VALUES='["1", "x"]')], "'x' is not a number"),
    ([map_("a"), task("Filter", ["a"], "LESS_THAN", DATA_TYPE="datetime", VALUE="soon")], "'soon' is not an ISO"),
    ([map_("a"), task("Filter", ["a"], "BETWEEN", DATA_TYPE="integer", LOWER_BOUND="1")], "UPPER_BOUND"),
    ([map_("a"), task("Filter", ["a"], "BETWEEN", DATA_TYPE="long", LOWER_BOUND="9", UPPER_BOUND="10.5e-1")],
     "LOWER_BOUND 9 is greater than UPPER_BOUND"),
    ([map_("a"), task("Filter", ["a"], "BETWEEN", LOWER_BOUND="m", UPPER_BOUND="c")], "sorts after UPPER_BOUND"),
    ([map_("a"), task("Filter", ["a"], "EQUAL_TO", VALUES='["a",')], "VALUES is not a valid JSON array"),
    ([map_("a"), task("Filter", [], "PROJECTION")], "needs sourceFields naming at least one field"),
    ([task("Map", ["a", "b"], destination="a")], "a Map task reads exactly one source field, not 2"),
    ([task("Map", ["a"])], "tasks[0]: a Map task needs a destinationField"),
    ([map_("a", "x"), map_("b", "x")], "tasks[1]: destinationField 'x' is already written by tasks[0]"),
    ([map_("a", "x"), task("Passthrough", ["x"])], "tasks[1]: destinationField 'x' is already written"),
    ([map_("a"), task("Mask", ["a"], "MASK_FIRST_N")], "taskProperties.MASK_LENGTH is required"),
    ([map_("a"), task("Mask", ["a"], "MASK_LAST_N", MASK_LENGTH="-1")], "must be a non-negative integer, not '-1'"),
    ([map_("a"), task("Mask", ["a"], "MASK_ALL", MASK_LENGTH="two")], "MASK_LENGTH must be a non-negative integer"),
    ([map_("a"), task("Truncate", ["a"])], "TRUNCATE_LENGTH is required"),
    ([map_("a"), task("Truncate", ["a"], TRUNCATE_LENGTH="1.5")], "TRUNCATE_LENGTH must be a non-negative"),
    ([task("Merge", ["a"], destination="m")], "needs taskProperties.CONCAT_FORMAT"),
    ([task("Merge", ["a", "b"], destination="m", CONCAT_FORMAT="${a}${c}")], "refers to ${c}"),
    ([task("Merge", ["a"], destination="m", CONCAT_FORMAT="${a}-${b")], "without a closing"),
    ([task("Merge", ["a"], destination="m", CONCAT_FORMAT="{a}")], "names no field"),
    ([task("Arithmetic", ["a"], "ADDITION", "s")], "needs at least two fields for ADDITION"),
    ([task("Arithmetic", ["a", "b"], "ADDITION", "s", MATH_OPERATION_FIELDS_ORDER='["a"]')], "at least two"),
    ([task("Arithmetic", ["a", "b"], "DIVISION", "s", MATH_OPERATION_FIELDS_ORDER="a,c")], "names c"),
    ([task("Arithmetic", ["a", "b"], "DIVISION")], "an Arithmetic task needs a destinationField"),
    ([map_("a"), task("Validate", ["a"], "VALIDATE_NON_NULL")], "needs taskProperties.VALIDATION_ACTION"),
    ([map_("a"), task("Validate", ["a"], "VALIDATE_NON_NULL", VALIDATION_ACTION="NoAction")],
     "must be DropRecord or TerminateFlow, not 'NoAction'"),
    ([map_("a"), task("Validate", ["a"], "PROJECTION", VALIDATION_ACTION="DropRecord")], "cannot be used"),
    ([task("Map_all", []), task("Map_all", [])], "tasks[1]: a flow has at most one Map_all task"),
    ([task("Map_all", [], EXCLUDE_SOURCE_FIELDS_LIST="{}")], "must be a JSON array"),
    ([task("Map_all", [], INCLUDE_NEW_FIELDS="sometimes")], "INCLUDE_NEW_FIELDS must be true or false"),
    ([map_("a"), task("Partition", ["b"], ORDERED_PARTITION_KEYS_LIST='["b"]')], "'b' is not an output field"),
    ([task("Map_all", [], EXCLUDE_SOURCE_FIELDS_LIST="b"), task("Partition", ["b"], ORDERED_PARTITION_KEYS_LIST="b")],
     "'b' is not an output field"),
    ([map_("a"), task("Partition", ["a"], ORDERED_PARTITION_KEYS_LIST="[]")], "one or more distinct fields"),
    ([map_("a"), task("Partition", ["a"])], "needs taskProperties.ORDERED_PARTITION_KEYS_LIST"),
    ([map_("a"), task("Passthrough", ["a", "b"], destination="c")], "reads exactly one source field"),
    ([{**map_("a"), "taskProperties": {"DESTINATION_DATA_TYPE": 5}}], "taskProperties must map names to strings"),
    (["Map"], "tasks[0]: a task must be an object"),
    ([task("Mask", ["a", "b"], "MASK_ALL", "a")], "a Mask task with a destinationField reads exactly one"),
    ([map_("b", "a"), task("Mask", ["a"], "MASK_ALL", "a")], "tasks[1]: destinationField 'a' is already written"),
    ([map_("a", "x"), task("Truncate", ["a"], destination="x", TRUNCATE_LENGTH="1")], "'x' is already written"),
    ([task("Mask", ["a"], "MASK_ALL", "x"), task("Truncate", ["b"], destination="x", TRUNCATE_LENGTH="1")],
     "tasks[1]: destinationField 'x' is already written by tasks[0]"),
    ([task("Mask", ["a"], "MASK_ALL")], "writes no fields"),
]


@pytest.mark.parametrize(("tasks", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_check_tasks_refuses(tasks: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_tasks(tasks)
    assert message in str(caught.value)
    with pytest.raises(ValueError):
        compile_tasks(tasks)


ACCEPTED = [
    [task("Map_all", [], EXCLUDE_SOURCE_FIELDS_LIST="[]")],
    [task("Filter", ["a", "b"], "PROJECTION"), map_("a", "A")],
    [map_("a"), task("Filter", ["a"], "BETWEEN", DATA_TYPE="datetime", LOWER_BOUND="2024-01-01",
                     UPPER_BOUND="1735689600000")],
    [map_("a"), task("Filter", ["a"], "EQUAL_TO", DATA_TYPE="decimal", VALUE="1", VALUES="2, 3")],
    [map_("a"), task("Filter", ["a"], "CONTAINS", DATA_TYPE="integer", VALUE="1-2")],
    [map_("a"), task("Mask", ["a"], "MASK_ALL")],
    [map_("a"), task("Truncate", ["a"], TRUNCATE_LENGTH="0")],
    [task("Passthrough", ["a", "b"])],
    [task("Merge", ["a"], destination="m", CONCAT_FORMAT="$a costs ${a}$")],
    [map_("a"), task("Map", ["a"], None, "b", SUBFIELD_CATEGORY_MAP='{"x": "y"}')],
    [task("Map_all", []), task("Partition", ["p"], ORDERED_PARTITION_KEYS_LIST="p,q")],
]


@pytest.mark.parametrize("tasks", ACCEPTED)
def test_check_tasks_accepts(tasks: list[dict[str, Any]]) -> None:
    check_tasks(tasks)


# -- run-time semantics ----------------------------------------------------------------------
def test_task_order_does_not_matter() -> None:
    tasks = [
        map_("name"),
        task("Truncate", ["name"], TRUNCATE_LENGTH="3"),
        task("Filter", ["n"], "GREATER_THAN", DATA_TYPE="integer", VALUE="1"),
        task("Validate", ["name"], "VALIDATE_NON_NULL", VALIDATION_ACTION="DropRecord"),
    ]
    data = {"name": ["alpha", "beta", "", "delta"], "n": ["1", "2", "3", "4"]}
    expected = [{"name": "bet"}, {"name": "del"}]
    assert run(tasks, data) == expected
    assert run(list(reversed(tasks)), data) == expected


def test_filter_sees_source_values_not_masked_ones() -> None:
    tasks = [map_("email"), task("Mask", ["email"], "MASK_ALL"),
             task("Filter", ["email"], "CONTAINS", VALUE="@x")]
    assert run(tasks, {"email": ["a@x", "b@y"]}) == [{"email": "***"}]


def test_mask_then_truncate_apply_in_list_order() -> None:
    data = {"s": ["abcdef"]}
    mask_first = [map_("s"), task("Mask", ["s"], "MASK_LAST_N", MASK_LENGTH="4"),
                  task("Truncate", ["s"], TRUNCATE_LENGTH="3")]
    assert run(mask_first, data) == [{"s": "ab*"}]
    truncate_first = [map_("s"), task("Truncate", ["s"], TRUNCATE_LENGTH="3"),
                      task("Mask", ["s"], "MASK_LAST_N", MASK_LENGTH="4")]
    assert run(truncate_first, data) == [{"s": "***"}]


def test_merge_and_arithmetic_read_the_masked_value() -> None:
    tasks = [task("Mask", ["a"], "MASK_FIRST_N", MASK_LENGTH="1"),
             task("Merge", ["a"], destination="m", CONCAT_FORMAT="<${a}>"),
             task("Arithmetic", ["a", "b"], "ADDITION", "s")]
    assert run(tasks, {"a": ["12"], "b": ["1"]}) == [{"m": "<*2>", "s": None}]


def test_one_field_feeds_several_outputs() -> None:
    tasks = [map_("a"), map_("a", "b", DESTINATION_DATA_TYPE="integer"), task("Passthrough", ["a"], destination="c")]
    assert run(tasks, {"a": ["7"]}) == [{"a": "7", "b": 7, "c": "7"}]


def test_a_field_no_task_reads_is_never_touched() -> None:
    # A column whose type no kernel here supports stays harmless while no task names it.
    payload = pa.array([{"k": 1}, {"k": 2}])
    batch = pa.RecordBatch.from_arrays([pa.array(["1", "2"]), payload], names=["id", "payload"])
    assert run([map_("id")], batch) == [{"id": "1"}, {"id": "2"}]


def test_typed_columns_compare_by_their_type_without_data_type() -> None:
    batch = pa.RecordBatch.from_pydict({
        "n": pa.array([5, 50, 500, None], pa.int64()),
        "when": pa.array([datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC), None,
                          datetime(2025, 1, 1, tzinfo=UTC)], pa.timestamp("ms", "UTC")),
    })
    by_number = [map_("n"), task("Filter", ["n"], "GREATER_THAN", VALUE="40")]
    assert run(by_number, batch) == [{"n": 50}, {"n": 500}]
    by_time = [map_("n"), task("Filter", ["when"], "LESS_THAN", VALUE="2024-06-01T00:00:00Z")]
    assert run(by_time, batch) == [{"n": 5}]
    # An operand that is not a number on a numeric column, with no DATA_TYPE: compared as text.
    as_text = [map_("n"), task("Filter", ["n"], "EQUAL_TO", VALUE="5x")]
    assert run(as_text, batch) == []


def test_datetime_filter_on_epoch_millis_integers_and_dates() -> None:
    batch = pa.RecordBatch.from_pydict({
        "ms": pa.array([1_704_067_200_000, 1_704_067_199_999], pa.int64()),
        "day": pa.array([datetime(2024, 1, 1).date(), datetime(2023, 12, 31).date()], pa.date32()),
    })
    tasks = [map_("ms"), task("Filter", ["ms"], "GREATER_THAN_OR_EQUAL_TO", DATA_TYPE="datetime",
                              VALUE="2024-01-01T00:00:00Z")]
    assert run(tasks, batch) == [{"ms": 1_704_067_200_000}]
    tasks = [map_("ms"), task("Filter", ["day"], "EQUAL_TO", DATA_TYPE="date", VALUE="1704067200000")]
    assert run(tasks, batch) == [{"ms": 1_704_067_200_000}]


def test_datetime_text_arrow_cannot_read_takes_the_python_path() -> None:
    tasks = [map_("id"), task("Filter", ["t"], "LESS_THAN", DATA_TYPE="timestamp", VALUE="2024-03-01")]
    data = {"id": ["a", "b", "c", "d"],
            "t": ["2024-02-30T00:00:00Z", "2024-02-01T00:00:00.1234567Z", "2024-02-02T00:00:00.5", "0001-01-01"]}
    assert run(tasks, data) == [{"id": "b"}, {"id": "c"}, {"id": "d"}]


def test_casts_to_datetime_date_float_and_string() -> None:
    tasks = [map_("t", "ts", DESTINATION_DATA_TYPE="DateTime"), map_("t", "d", DESTINATION_DATA_TYPE="date"),
             map_("x", "f", DESTINATION_DATA_TYPE="currency"), map_("n", "s", DESTINATION_DATA_TYPE="string"),
             map_("x", "same", DESTINATION_DATA_TYPE="geolocation")]
    batch = pa.RecordBatch.from_pydict({"t": ["2024-05-01T10:30:00+02:00", "nope"], "x": ["1.25", " 2 "],
                                        "n": pa.array([3, None], pa.int64())})
    out = compile_tasks(tasks).apply(batch)
    assert out.schema.types == [pa.timestamp("us", "UTC"), pa.date32(), pa.float64(), pa.string(), pa.string()]
    assert out.to_pylist() == [
        {"ts": datetime(2024, 5, 1, 8, 30, tzinfo=UTC), "d": datetime(2024, 5, 1).date(), "f": 1.25, "s": "3",
         "same": "1.25"},
        {"ts": None, "d": None, "f": 2.0, "s": None, "same": " 2 "},
    ]


def test_output_types_are_stable_for_empty_and_all_null_batches() -> None:
    tasks = [task("Filter", ["a"], "EQUAL_TO", VALUE="keep"), map_("a"),
             task("Arithmetic", ["b", "c"], "DIVISION", "q"), task("Merge", ["a", "b"], destination="m",
                                                                  CONCAT_FORMAT="${a}${b}")]
    pipeline = compile_tasks(tasks)
    data = {"a": ["drop", "drop"], "b": ["1", "2"], "c": ["1", "0"]}
    none = pipeline.apply(pa.RecordBatch.from_pydict(data))
    some = pipeline.apply(pa.RecordBatch.from_pydict({**data, "a": ["keep", "keep"]}))
    assert none.num_rows == 0
    assert none.schema == some.schema
    assert some.to_pylist() == [{"a": "keep", "q": 1.0, "m": "keep1"}, {"a": "keep", "q": None, "m": "keep2"}]
    empty = pipeline.apply(pa.RecordBatch.from_pydict({k: pa.array([], pa.string()) for k in data}))
    assert empty.num_rows == 0 and empty.schema == some.schema


def test_blank_text_is_null_everywhere_but_whitespace_is_kept() -> None:
    tasks = [task("Map_all", [])]
    assert run(tasks, {"a": ["", " ", None]}) == [{"a": None}, {"a": " "}, {"a": None}]


def test_large_string_columns() -> None:
    batch = pa.RecordBatch.from_pydict({"a": pa.array(["x1", "", "y22"], pa.large_string())})
    tasks = [map_("a"), task("Truncate", ["a"], TRUNCATE_LENGTH="2"),
             task("Filter", ["a"], "NOT_EQUAL_TO", VALUE="x1")]
    assert run(tasks, batch) == [{"a": "y2"}]


def test_missing_field_fails_the_run_unless_the_source_knows_it() -> None:
    tasks = [map_("a"), map_("b")]
    batch = pa.RecordBatch.from_pydict({"a": ["1"]})
    with pytest.raises(TaskError, match=r"tasks\[1\] reads the source field 'b'.*\(they have: a\)"):
        compile_tasks(tasks).apply(batch)
    assert run(tasks, batch, source_fields=["a", "b"]) == [{"a": "1", "b": None}]


def test_map_all_include_new_fields() -> None:
    batch = pa.RecordBatch.from_pydict({"a": ["1"], "new": ["2"], "b": ["3"]})
    known = ["a", "b"]
    assert run([task("Map_all", [], INCLUDE_NEW_FIELDS="false")], batch, known) == [{"a": "1", "b": "3"}]
    assert run([task("Map_all", [], INCLUDE_NEW_FIELDS="TRUE")], batch, known) == [{"a": "1", "new": "2", "b": "3"}]
    assert run([task("Map_all", [], INCLUDE_NEW_FIELDS="false")], batch) == [{"a": "1", "new": "2", "b": "3"}]


def test_map_all_after_a_projection_maps_the_projection_in_its_order() -> None:
    tasks = [task("Filter", ["c", "a"], "PROJECTION"), task("Map_all", [])]
    assert run(tasks, {"a": ["1"], "b": ["2"], "c": ["3"]}) == [{"c": "3", "a": "1"}]


def test_dropped_counts_over_batches_and_terminate_names_field_and_value() -> None:
    tasks = [map_("a"), task("Validate", ["a"], "VALIDATE_NON_ZERO", VALIDATION_ACTION="DropRecord"),
             task("Validate", ["b"], "VALIDATE_NON_NULL", VALIDATION_ACTION="TerminateFlow")]
    pipeline = compile_tasks(tasks)
    pipeline.apply(pa.RecordBatch.from_pydict({"a": ["0", "1", "0.0"], "b": ["x", "y", None]}))
    assert pipeline.dropped == 2
    pipeline.apply(pa.RecordBatch.from_pydict({"a": ["-0", "2"], "b": ["x", "y"]}))
    assert pipeline.dropped == 3
    with pytest.raises(TaskError, match=r"tasks\[2\]: VALIDATE_NON_NULL failed on field 'b' with a null value"):
        pipeline.apply(pa.RecordBatch.from_pydict({"a": ["1"], "b": [""]}))


def test_validate_numeric_and_non_negative_on_typed_columns() -> None:
    batch = pa.RecordBatch.from_pydict({"n": pa.array([1.5, -2.0, None]), "t": pa.array([True, False, None])})
    tasks = [map_("n"), task("Validate", ["n", "t"], "VALIDATE_NUMERIC", VALIDATION_ACTION="DropRecord"),
             task("Validate", ["n"], "VALIDATE_NON_NEGATIVE", VALIDATION_ACTION="DropRecord")]
    assert run(tasks, batch) == [{"n": 1.5}, {"n": None}]


def test_arithmetic_overflow_and_division_by_zero_are_null_at_every_step() -> None:
    tasks = [task("Arithmetic", ["a", "b", "c"], "DIVISION", "q")]
    # 1/0 is null (not inf), so 1/0/inf is null too, not 0.
    assert run(tasks, {"a": ["1", "6"], "b": ["0", "3"], "c": ["1e308", "2"]}) == [{"q": None}, {"q": 1.0}]
    huge = [task("Arithmetic", ["a", "b"], "ADDITION", "s")]
    assert run(huge, {"a": [1.7e308], "b": [1.7e308]}) == [{"s": None}]
    assert run(huge, {"a": ["inf"], "b": ["1"]}) == [{"s": None}]


def test_filter_null_never_matches_with_not_equal() -> None:
    tasks = [map_("a"), task("Filter", ["a"], "NOT_EQUAL_TO", DATA_TYPE="integer", VALUE="1")]
    assert run(tasks, {"a": ["1", "2", "", None, "x"]}) == [{"a": "2"}]


def test_contains_with_values_matches_any() -> None:
    tasks = [map_("a"), task("Filter", ["a"], "CONTAINS", VALUES='["foo", "bar"]')]
    assert run(tasks, {"a": ["a foo", "barn", "baz", None]}) == [{"a": "a foo"}, {"a": "barn"}]


def test_plans_are_cached_per_schema() -> None:
    pipeline = compile_tasks([task("Map_all", [])])
    pipeline.apply(pa.RecordBatch.from_pydict({"a": ["1"]}))
    pipeline.apply(pa.RecordBatch.from_pydict({"a": ["2"]}))
    assert len(pipeline._plans) == 1
    assert pipeline.apply(pa.RecordBatch.from_pydict({"a": [1], "b": [2]})).to_pylist() == [{"a": 1, "b": 2}]
    assert len(pipeline._plans) == 2


def test_partition_keys_and_pipeline_type() -> None:
    pipeline = compile_tasks([map_("y"), map_("m"), task("Partition", ["y", "m"], ORDERED_PARTITION_KEYS_LIST="y, m")])
    assert isinstance(pipeline, TaskPipeline)
    assert pipeline.partition_keys == ["y", "m"]
    assert pipeline.dropped == 0


def test_mask_and_truncate_destination_fields() -> None:
    data = {"a": ["abcdef"], "b": ["xyz"]}
    # Same name and no Map: changed in place and written, at the task's place in the list.
    in_place = [map_("b"), task("Truncate", ["a"], destination="a", TRUNCATE_LENGTH="2")]
    assert run(in_place, data) == [{"b": "xyz", "a": "ab"}]
    # Same name with a Map of the field: the Map sends the changed value; no second writer.
    with_map = [task("Mask", ["a"], "MASK_ALL", "a"), map_("a", "A"), map_("a")]
    assert run(with_map, data) == [{"A": "******", "a": "******"}]
    # Two tasks on the same field and destination chain, in list order.
    chained = [task("Mask", ["a"], "MASK_FIRST_N", "a2", MASK_LENGTH="1"),
               task("Truncate", ["a"], destination="a2", TRUNCATE_LENGTH="3"), map_("a")]
    assert run(chained, data) == [{"a2": "*bc", "a": "abcdef"}]
    # Another name: the source value is untouched for the other tasks.
    other = [task("Mask", ["a"], "MASK_ALL", "hidden"), task("Merge", ["a"], destination="m", CONCAT_FORMAT="${a}!")]
    assert run(other, data) == [{"hidden": "******", "m": "abcdef!"}]
    # Map_all leaves a field written by a Mask to the Mask.
    assert run([task("Map_all", []), task("Mask", ["b"], "MASK_ALL", "b")], data) == [{"a": "abcdef", "b": "***"}]
