"""A compiled task list applied to record batches (engine layer; the runner's view of tasks).

`TaskPipeline.apply` runs AppFlow's stages in a fixed order, whatever the order of the task
list: read the fields the tasks name (Filter PROJECTION and every other task's sourceFields)
-> Filter comparisons (all must match) -> Validate (DropRecord, then TerminateFlow) -> Mask and
Truncate (in list order; in place, so later tasks read the changed value, or into a new field
named by their destinationField) -> outputs (Map, Passthrough, Map_all, Merge, Arithmetic,
Mask/Truncate destinations, in list order). The per-schema part of that work —
which columns to read, how each Filter compares a column of that type, what Map_all expands
to — is planned once per batch schema and cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from sluice.engine.tasks import filters, transforms, values
from sluice.engine.tasks.spec import (
    Arithmetic,
    Comparison,
    Derived,
    MapAll,
    MapField,
    Mask,
    Merge,
    TaskSpec,
    Truncate,
)


class TaskError(Exception):
    """A task failed at run time (e.g. Validate with TerminateFlow); message is for a person."""


Output = MapField | Merge | Arithmetic | Derived
# Comparisons whose answer changes when numbers or times are compared as text.
TEXT_ORDERED = frozenset({"LESS_THAN", "GREATER_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO", "BETWEEN"})


@dataclass(slots=True)
class _Plan:
    """What `apply` does to batches of one schema."""

    columns: dict[str, int]
    """Source field -> column index in the batch; a known field the batch lacks is absent (read as null)."""
    comparisons: list[tuple[str, filters.BoundComparison]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Source fields read after filtering (by Validate, Mask, Truncate and the outputs)."""
    outputs: list[Output] = field(default_factory=list)


def _transform(task: Mask | Truncate, column: pa.Array) -> pa.Array:
    if isinstance(task, Mask):
        return transforms.mask(column, task.operator, task.length, task.value)
    return transforms.truncate(column, task.length)


def _filter(columns: dict[str, pa.Array], keep: pa.Array) -> dict[str, pa.Array]:
    """The columns' rows where `keep` is true (one batch-level filter: cheaper than one per column)."""
    if not columns:
        return {}
    kept = pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns)).filter(keep)
    return dict(zip(columns, kept.columns, strict=True))


@dataclass(slots=True)
class Counts:
    """A pipeline's batch-level counters (see `TaskPipeline.__init__`)."""

    rows_in: int
    rows_out: int
    dropped: int
    filtered: dict[int, int]
    rejected: dict[int, int]


class TaskPipeline:
    """A flow's task list, compiled once per run; `apply` it to each batch the source yields."""

    def __init__(self, spec: TaskSpec, source_fields: Iterable[str] | None = None) -> None:
        self.partition_keys: list[str] = list(spec.partition_keys)
        self.dropped = 0
        # Batch-level counters (one popcount per mask, never a per-record loop): rows entering,
        # rows each Filter comparison removed, rows each Validate rejected, rows leaving.
        self.rows_in = 0
        self.rows_out = 0
        self.filtered: dict[int, int] = {c.index: 0 for c in spec.comparisons}
        self.rejected: dict[int, int] = {v.index: 0 for v in spec.validations}
        # Warnings about how the tasks read the data (e.g. a Filter comparing text), once each.
        self.notes: list[str] = []
        self._spec = spec
        self._source_fields = None if source_fields is None else list(source_fields)
        self._drop = [v for v in spec.validations if v.action == "DropRecord"]
        self._terminate = [v for v in spec.validations if v.action == "TerminateFlow"]
        self._plans: dict[pa.Schema, _Plan] = {}
        self._noted: set[str] = set()

    @property
    def spec(self) -> TaskSpec:
        """The task list as compiled (the run's details name each task's stage from it)."""
        return self._spec

    def take_notes(self) -> list[str]:
        """Warnings found while planning since the last call."""
        notes, self.notes = self.notes, []
        return notes

    def take_counts(self) -> Counts:
        """The batch-level counters since the last call, reset (a worker's share for `add_counts`)."""
        counts = Counts(self.rows_in, self.rows_out, self.dropped, dict(self.filtered), dict(self.rejected))
        self.rows_in = self.rows_out = self.dropped = 0
        self.filtered = dict.fromkeys(self.filtered, 0)
        self.rejected = dict.fromkeys(self.rejected, 0)
        return counts

    def add_counts(self, counts: Counts) -> None:
        """Add counters another copy of this pipeline took (engine/parallel.py runs one per thread)."""
        self.rows_in += counts.rows_in
        self.rows_out += counts.rows_out
        self.dropped += counts.dropped
        for index, n in counts.filtered.items():
            self.filtered[index] += n
        for index, n in counts.rejected.items():
            self.rejected[index] += n

    # -- planning (once per schema) ----------------------------------------------------------
    def _plan(self, schema: pa.Schema) -> _Plan:
        plan = self._plans.get(schema)
        if plan is None:
            plan = self._plans[schema] = self._make_plan(schema)
        return plan

    def _map_all_fields(self, schema: pa.Schema, task: MapAll, explicit: set[str]) -> list[str]:
        fields = list(dict.fromkeys(self._spec.projection)) if self._spec.projection else list(schema.names)
        if not task.include_new_fields and self._source_fields is not None:
            known = set(self._source_fields)
            fields = [f for f in fields if f in known]
        return [f for f in fields if f not in task.exclude and f not in explicit]

    def _make_plan(self, schema: pa.Schema) -> _Plan:
        spec = self._spec
        names = schema.names
        plan = _Plan(columns={name: i for i, name in enumerate(names) if names.count(name) == 1})
        explicit = {o.destination for o in spec.outputs if not isinstance(o, MapAll)}
        reads: dict[str, int] = {}  # field -> first task index reading it (for error messages)
        for output in spec.outputs:
            if isinstance(output, MapAll):
                for name in self._map_all_fields(schema, output, explicit):
                    plan.outputs.append(MapField(output.index, name, name, None))
            else:
                plan.outputs.append(output)
        for output in plan.outputs:
            sources = (
                [output.source] if isinstance(output, MapField | Derived)
                else [t for is_field, t in output.parts if is_field] if isinstance(output, Merge)
                else list(output.sources)
            )
            for source in sources:
                reads.setdefault(source, output.index)
        for task in (*spec.validations, *spec.transforms):
            for source in task.sources:
                reads.setdefault(source, task.index)
        plan.kept = list(reads)
        for comparison in spec.comparisons:
            reads.setdefault(comparison.source, comparison.index)
        known = set(self._source_fields or ())
        for name, index in reads.items():
            if name not in plan.columns and name not in known:
                have = ", ".join(names) or "none"
                raise TaskError(f"tasks[{index}] reads the source field {name!r}, which the source records "
                                f"do not have (they have: {have}).")
        for comparison in spec.comparisons:
            position = plan.columns.get(comparison.source)
            data_type = schema.field(position).type if position is not None else pa.string()
            bound = filters.bind_comparison(comparison, data_type)
            plan.comparisons.append((comparison.source, bound))
            if comparison.data_type is None and bound.kind == "string" and comparison.operator in TEXT_ORDERED:
                self._note_text_comparison(comparison, data_type)
        return plan

    def _note_text_comparison(self, comparison: Comparison, data_type: pa.DataType) -> None:
        note = (f"tasks[{comparison.index}]: the Filter {comparison.operator} on {comparison.source!r} compares "
                f"text because no DATA_TYPE is set (the field reads as {data_type}), so '9' sorts after '10'; "
                "set taskProperties DATA_TYPE (number, datetime, ...) to compare values.")
        if note not in self._noted:
            self._noted.add(note)
            self.notes.append(note)

    # -- running (per batch) -----------------------------------------------------------------
    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The transformed batch (possibly with no rows); raises TaskError when a task fails the run."""
        plan = self._plan(batch.schema)
        rows = batch.num_rows
        self.rows_in += rows

        def source(name: str) -> pa.Array:
            position = plan.columns.get(name)
            return batch.column(position) if position is not None else values.nulls(pa.string(), rows)

        read: dict[str, pa.Array] = {}
        selected: pa.Array | None = None
        kept = rows
        for name, comparison in plan.comparisons:
            if name not in read:
                read[name] = values.blank_to_null(source(name))
            matches = comparison.mask(read[name])
            selected = matches if selected is None else pc.and_(selected, matches)
            # A null never matches: true_count counts exactly the rows still selected.
            now = selected.true_count
            self.filtered[comparison.task.index] += kept - now
            kept = now
        columns = {name: read[name] if name in read else source(name) for name in plan.kept}
        if selected is not None:
            keep = pc.fill_null(selected, False)
            if keep.true_count != rows:
                columns = _filter(columns, keep)
                rows = keep.true_count
        for name in plan.kept:
            if name not in read:
                columns[name] = values.blank_to_null(columns[name])

        rows = self._validate(columns, rows)
        self.rows_out += rows
        derived: dict[str, pa.Array] = {}
        for task in self._spec.transforms:
            for name in task.sources:
                if task.destination is None or task.destination == name:
                    columns[name] = _transform(task, columns[name])
                else:
                    derived[task.destination] = _transform(task, derived.get(task.destination, columns[name]))
        return self._outputs(plan, columns, derived, rows)

    def _validate(self, columns: dict[str, pa.Array], rows: int) -> int:
        failed: pa.Array | None = None
        for task in self._drop:
            task_failed: pa.Array | None = None
            for name in task.sources:
                bad = filters.failures(task.operator, columns[name])
                task_failed = bad if task_failed is None else pc.or_(task_failed, bad)
            if task_failed is None:
                continue
            # A record failing several checks counts for the first task that rejected it.
            fresh = task_failed if failed is None else pc.and_(task_failed, pc.invert(failed))
            self.rejected[task.index] += fresh.true_count
            failed = task_failed if failed is None else pc.or_(failed, task_failed)
        if failed is not None and failed.true_count:
            columns.update(_filter(columns, pc.invert(failed)))
            self.dropped += failed.true_count
            rows -= failed.true_count
        for task in self._terminate:
            for name in task.sources:
                bad = filters.failures(task.operator, columns[name])
                if bad.true_count:
                    self.rejected[task.index] += bad.true_count
                    position = pc.index(bad, True).as_py()
                    value = columns[name][position].as_py()
                    shown = "a null value" if value is None else f"the value {value!r}"
                    raise TaskError(
                        f"tasks[{task.index}]: {task.operator} failed on field {name!r} with {shown}; "
                        f"the Validate task's VALIDATION_ACTION is TerminateFlow, so the run stops."
                    )
        return rows

    @staticmethod
    def _outputs(plan: _Plan, columns: dict[str, pa.Array], derived: dict[str, pa.Array],
                 rows: int) -> pa.RecordBatch:
        arrays: list[pa.Array] = []
        names: list[str] = []
        for output in plan.outputs:
            if isinstance(output, MapField):
                array = transforms.map_field(columns[output.source], output.cast)
            elif isinstance(output, Derived):
                array = derived[output.destination]
            elif isinstance(output, Merge):
                array = transforms.merge(output.parts, columns, rows)
            else:
                array = transforms.arithmetic(output.operator, [columns[s] for s in output.sources])
            arrays.append(array)
            names.append(output.destination)
        if not arrays:
            return pa.RecordBatch.from_pydict({})
        return pa.RecordBatch.from_arrays(arrays, names=names)

