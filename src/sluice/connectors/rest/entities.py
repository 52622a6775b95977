"""What a vendor folder declares about its data (connectors layer, shared REST layer).

* `Field` - one field: its name (the vendor's), data type, where it sits in a record, whether it
  is the key, which Filter operators it takes and which writes it takes part in;
* `Entity` - one object: the request that reads it, the record path in each answer, the
  paginator, its fields (declared, or read from the vendor by `describe`), how a flow's
  projection/filters/incremental window become request parameters (`plan`), and its writes;
* `Catalog` - the entities of a connector: `Static` for a fixed list, or a vendor class for
  catalogs read from the vendor (ServiceNow's tables);
* `Query` - what a run asks of an entity, handed to `Entity.plan` for push-down.

Data types are the layer's own small set (`TYPES`), reported as each field's `fieldType`; the
rule for turning JSON values into Arrow columns of those types is in records.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.paging import Paginator, Single
from sluice.literals import parse_micros

if TYPE_CHECKING:
    from sluice.connectors.rest.client import Request, RestClient
    from sluice.connectors.rest.splits import Splitting

# string, whole numbers, floating point, true/false, instants (UTC), calendar dates, objects with
# declared members, lists with a declared item type, and JSON kept whole as text.
TYPES = ("string", "integer", "double", "boolean", "datetime", "date", "struct", "array", "json")
ORDERED = ("EQUAL_TO", "NOT_EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN",
           "GREATER_THAN_OR_EQUAL_TO", "BETWEEN")
DEFAULT_FILTERS: Mapping[str, tuple[str, ...]] = {
    "string": ("EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"),
    "integer": ORDERED,
    "double": ORDERED,
    "datetime": ORDERED,
    "date": ORDERED,
    "boolean": ("EQUAL_TO", "NOT_EQUAL_TO"),
}
WRITES = ("INSERT", "UPDATE", "UPSERT", "DELETE")


@dataclass(frozen=True)
class Field:
    """One field of an entity, as the vendor names it."""

    name: str
    type: str = "string"
    label: str = ""
    description: str = ""
    # Dotted path of the value in a record when it is not the top-level member `name`
    # (Datadog's `attributes.message`).
    path: str = ""
    primary_key: bool = False
    nullable: bool = True
    # Filter operators the field takes; None: the defaults of its type. The connector's
    # supported operators bound them either way.
    filters: tuple[str, ...] | None = None
    # Instants: "iso" (ISO 8601 text), "epoch_s" / "epoch_ms" (numbers or numeric text), or a
    # strptime format such as "%Y-%m-%d %H:%M:%S" (read as UTC).
    format: str = "iso"
    # struct: its members; array: its item (a Field whose name is ignored). Without them a
    # struct or array is kept whole as JSON text (records.py).
    members: tuple[Field, ...] = ()
    item: Field | None = None
    # The field can be written on create / on update; the entity's writes bound both.
    creatable: bool = False
    updatable: bool = False
    # The field holds the record's change time (offered for incremental pulls).
    timestamp: bool = False
    vendor_type: str = ""  # the vendor's own type name, when it differs from `type`
    values: tuple[str, ...] = ()  # the values the vendor allows (picklists)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: type {self.type!r} is not one of {', '.join(TYPES)}")

    @property
    def source(self) -> str:
        """Where the value sits in a record (dotted)."""
        return self.path or self.name

    def operators(self, supported: frozenset[str]) -> list[str]:
        """The Filter operators AppFlow offers for this field."""
        chosen = self.filters if self.filters is not None else DEFAULT_FILTERS.get(self.type, ())
        return [op for op in chosen if op in supported]


@dataclass(frozen=True, slots=True)
class Condition:
    """One Filter task's comparison: field, AppFlow operator, operand texts."""

    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """What a run reads: the entity, the columns, the Filter comparisons and the incremental window.

    The engine applies every task after the source whatever is pushed down, and the source keeps
    only records inside the window, so push-down may be partial: it only saves transfer.
    """

    entity: str
    columns: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    window_field: str | None = None
    window_start: float | None = None
    window_end: float | None = None
    # One time slice of a split read (rest/splits.py): records whose `slice_field` lies in
    # (slice_lower, slice_upper], epoch seconds (None: open on that side). `time_range` narrows to it,
    # so a vendor's push-down sends the slice's bounds.
    slice_field: str | None = None
    slice_lower: float | None = None
    slice_upper: float | None = None

    def on(self, name: str) -> list[Condition]:
        """The comparisons on field `name`."""
        return [c for c in self.conditions if c.field == name]

    def equal_to(self, name: str) -> str | None:
        """The one value the EQUAL_TO comparisons on `name` name (a vendor's equality parameter);
        None when there is none, or more than one value (the engine's filter decides then)."""
        values = {c.values[0] for c in self.on(name) if c.operator == "EQUAL_TO" and len(c.values) == 1}
        return values.pop() if len(values) == 1 else None

    def time_range(self, name: str) -> tuple[float | None, float | None]:
        """(earliest, latest) epoch seconds a record's `name` may have: the incremental window when
        `name` is its field, narrowed by GREATER_THAN/LESS_THAN/BETWEEN filters on `name` and by the
        split's time slice."""
        lower: float | None = None
        upper: float | None = None
        if self.window_field == name:
            lower, upper = self.window_start, self.window_end
        if self.slice_field == name:
            if self.slice_lower is not None:
                lower = self.slice_lower if lower is None else max(lower, self.slice_lower)
            if self.slice_upper is not None:
                upper = self.slice_upper if upper is None else min(upper, self.slice_upper)
        for condition in self.on(name):
            bounds = [_seconds(v) for v in condition.values]
            if any(b is None for b in bounds):
                continue
            if condition.operator in ("GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO"):
                lower = bounds[0] if lower is None else max(lower, bounds[0])  # type: ignore[type-var]
            elif condition.operator in ("LESS_THAN", "LESS_THAN_OR_EQUAL_TO"):
                upper = bounds[0] if upper is None else min(upper, bounds[0])  # type: ignore[type-var]
            elif condition.operator == "BETWEEN" and len(bounds) == 2:
                lower = bounds[0] if lower is None else max(lower, bounds[0])  # type: ignore[type-var]
                upper = bounds[1] if upper is None else min(upper, bounds[1])  # type: ignore[type-var]
        return lower, upper


def _seconds(text: str) -> float | None:
    micros = parse_micros(text)
    return None if micros is None else micros / 1_000_000


@dataclass(frozen=True, slots=True)
class Page:
    """Records read by one request, and the bytes the answer took."""

    records: Sequence[Mapping[str, Any]]
    size: int = 0


@dataclass(frozen=True)
class Entity:
    """One object a flow can read or write (see the module docstring)."""

    name: str
    label: str = ""
    description: str = ""
    path: str = ""
    method: str = "GET"
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    # Dotted path of the record list in an answer ("" when the answer is the list).
    records: str = ""
    paginator: Paginator = field(default_factory=Single)
    fields: tuple[Field, ...] = ()
    # (client, entity) -> fields read from the vendor (custom fields); replaces `fields`.
    describe: Callable[[RestClient, Entity], Sequence[Field]] | None = None
    # (query, first request) -> the request with push-down applied.
    plan: Callable[[Query, Request], Request] | None = None
    # (client, query, first request) -> pages, for reads that are not one paged request
    # (Marketo's bulk extract, Slack's messages across threads). Replaces the paged loop.
    read: Callable[[RestClient, Query, Request], Iterator[Page]] | None = None
    # Reshapes each record of an answer (rare: values the vendor nests oddly).
    record: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    writes: tuple[str, ...] = ()
    has_children: bool = False
    readable: bool = True
    # How independent requests can read disjoint parts of one read in parallel (rest/splits.py);
    # None: the entity reads as one stream (sequential cursors).
    splits: Splitting | None = None

    def __post_init__(self) -> None:
        unknown = set(self.writes) - set(WRITES)
        if unknown:
            raise ValueError(f"entity {self.name}: writes {sorted(unknown)} are not {', '.join(WRITES)}")

    def fields_for(self, client: RestClient) -> list[Field]:
        """The fields: declared, or the vendor's answer when the entity describes itself."""
        return list(self.describe(client, self) if self.describe is not None else self.fields)


class Catalog(Protocol):
    """The entities of one connector."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        """Top-level entities, or the children of `parent`."""
        ...

    def entity(self, client: RestClient, name: str) -> Entity:
        """The entity called `name`; `ConnectorError("ResourceNotFound")` when there is none."""
        ...


@dataclass(frozen=True)
class Static:
    """A fixed list of entities (children by parent name, when the vendor nests them)."""

    items: tuple[Entity, ...]
    children: Mapping[str, tuple[Entity, ...]] = field(default_factory=dict)
    vendor: str = "the vendor"

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            return list(self.children.get(parent, ()))
        return list(self.items)

    def entity(self, client: RestClient, name: str) -> Entity:
        for entity in (*self.items, *(e for group in self.children.values() for e in group)):
            if entity.name == name:
                return entity
        raise ConnectorError("ResourceNotFound", f"{self.vendor} has no object {name!r} in Sluice's catalog "
                             f"(known: {', '.join(e.name for e in self.items)})")
