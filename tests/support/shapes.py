"""Hypothesis strategies generated from botocore shapes, and one-constraint mutations (test support).

`ShapeStrategies(pools).for_input(op)` walks an operation's input shape and builds a strategy
for model-valid params: structures are `fixed_dictionaries` (required members always, optional
ones sometimes), strings honour min/max length, enum and `pattern` (generated with
`from_regex(fullmatch=True)` from `sluice.protocol.validate.java_pattern`, falling back to a
small pool of known-valid values when hypothesis cannot handle a pattern), numbers stay in
range, lists and maps in their size bounds. `pools` maps member names (`flowName`,
`resourceArn`, ...) to values that name existing resources, mixed in so that requests get past
"not found" now and then.

`mutation_sites(op, params)` lists every place in a valid request where one model constraint
can be broken, and `apply(...)` breaks it, returning the field path the server must name.
`raw_request(...)` builds the REST-JSON request itself (URI labels, query string, JSON body),
so invalid values reach the server without botocore's client-side validation in the way.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import OperationModel, Shape
from botocore.utils import percent_encode
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from sluice.protocol.validate import java_pattern

# Generation caps: the model allows e.g. 10,000 tasks; a few entries exercise the same code.
LIST_CAP = 3
MAP_CAP = 3
STRING_CAP = 48  # longest string drawn freely; exact max-length strings are drawn separately
MAX_DEPTH = 12
MAX_OPTIONAL = 4  # optional members drawn at most, in structures that have more

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**53), 2**53)}

Path = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------
# Valid values


def _length_ok(shape: Shape, value: Any) -> bool:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    return (low is None or len(value) >= low) and (high is None or len(value) <= high)


def string_ok(shape: Shape, value: str) -> bool:
    """Whether `value` meets the string shape's length, pattern and enum constraints."""
    pattern = shape.metadata.get("pattern")
    if pattern is not None and java_pattern(pattern).fullmatch(value) is None:
        return False
    if shape.enum and value not in shape.enum:
        return False
    return _length_ok(shape, value)


# Known-valid values for patterns hypothesis cannot draw from (none in today's model, but a
# future botocore may bring one); each is used only where it meets the shape's constraints.
FALLBACK_POOL = (
    "sluice",
    "sluice-fuzz.value_1",
    "arn:aws:iam::123456789012:role/sluice",
    "arn:aws:kms:us-east-1:123456789012:key/0b1d2c3e-4f50-6172-8394-a5b6c7d8e9f0",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:sluice-AbCdEf",
    "arn:aws:appflow:us-east-1:123456789012:flow/sluice",
    "https://example.com/path",
    "123",
)


def _pattern_strategy(shape: Shape) -> st.SearchStrategy[str]:
    return _pattern_strategy_for(shape.metadata["pattern"], shape.metadata.get("min", 0), shape.metadata.get("max"))


@cache
def _pattern_strategy_for(pattern: str, low: int, high: int | None) -> st.SearchStrategy[str]:
    # Cached: hypothesis builds a regex strategy lazily but slowly (Unicode classes such as \S
    # become large interval sets), and the model reuses a few patterns on many shapes.
    try:
        compiled: re.Pattern[str] | None = java_pattern(pattern)
    except ValueError:  # the server does not enforce a pattern it cannot translate either
        compiled = None
    cap = high if high is not None else low + STRING_CAP
    if compiled is not None:
        drawn = _regex_strategy(compiled)
        if drawn is not None:
            return drawn.filter(lambda s: low <= len(s) <= cap)
    fallback = [
        v for v in FALLBACK_POOL
        if low <= len(v) <= cap and (compiled is None or compiled.fullmatch(v) is not None)
    ]
    if not fallback:
        raise AssertionError(f"no strategy and no fallback value for pattern {pattern!r}")
    return st.sampled_from(fallback)


@cache
def _regex_strategy(compiled: re.Pattern[str]) -> st.SearchStrategy[str] | None:
    """`from_regex(fullmatch=True)`, one per pattern (None if hypothesis cannot draw from it)."""
    try:
        drawn = st.from_regex(compiled, fullmatch=True)
        drawn.validate()
    except InvalidArgument:
        return None
    return drawn


def _string_strategy(shape: Shape) -> st.SearchStrategy[str]:
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    if shape.metadata.get("pattern") is not None:
        return _pattern_strategy(shape)
    low = shape.metadata.get("min", 0)
    high = shape.metadata.get("max")
    cap = min(high, max(low, 1) + STRING_CAP) if high is not None else max(low, 1) + STRING_CAP
    free = st.text(min_size=low, max_size=cap)
    if high is not None and high > cap:
        return st.one_of(free, st.text(min_size=high, max_size=high, alphabet="abc"))
    return free


def _number_strategy(shape: Shape) -> st.SearchStrategy[Any]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("integer", "long"):
        lo, hi = _INT_BOUNDS[shape.type_name]
        return st.integers(min_value=lo if low is None else int(low), max_value=hi if high is None else int(high))
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


@st.composite
def _some_optional(
    draw: st.DrawFn, required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """Every required member and at most `MAX_OPTIONAL` of the optional ones.

    Structures such as `SourceConnectorProperties` have one optional member per connector;
    drawing each at random would make every request enormous (and slow to generate) while the
    service reads only the one that matches the connector type.
    """
    value = {name: draw(strategy) for name, strategy in required.items()}
    chosen = draw(st.lists(st.sampled_from(sorted(optional)), max_size=MAX_OPTIONAL, unique=True))
    for name in chosen:
        value[name] = draw(optional[name])
    return value


class ShapeStrategies:
    """Builds (and caches) strategies for the input shapes of one service model."""

    def __init__(self, pools: Mapping[str, Sequence[Any]] | None = None, fresh: frozenset[str] = frozenset()) -> None:
        self.pools = dict(pools or {})
        self.fresh = fresh  # top-level members that never draw from the pools (a create's new name)
        self._cache: dict[tuple[str, str, int], st.SearchStrategy[Any]] = {}

    def for_input(self, op: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
        """Model-valid params for `op` (an empty dict when it has no input)."""
        if op.input_shape is None:
            return st.just({})
        return self.for_shape(op.input_shape, "", 0)

    def for_shape(self, shape: Shape, member: str, depth: int) -> st.SearchStrategy[Any]:
        """A strategy for values of `shape` reached through member `member`."""
        key = (shape.name, member, min(depth, MAX_DEPTH))
        found = self._cache.get(key)
        if found is None:
            found = self._build(shape, member, depth)
            pooled = () if depth == 1 and member in self.fresh else self.pools.get(member, ())
            pool = [v for v in pooled if self._fits(shape, v)]
            if pool:
                found = st.one_of(found, st.sampled_from(pool))
            self._cache[key] = found
        return found

    def _fits(self, shape: Shape, value: Any) -> bool:
        if shape.type_name == "string":
            return isinstance(value, str) and string_ok(shape, value)
        if shape.type_name == "list":
            return isinstance(value, list) and _length_ok(shape, value) and all(
                self._fits(shape.member, v) for v in value
            )
        return False

    def _build(self, shape: Shape, member: str, depth: int) -> st.SearchStrategy[Any]:
        kind = shape.type_name
        if kind == "structure":
            members: dict[str, Shape] = {
                n: m for n, m in shape.members.items() if m.serialization.get("location") != "headers"
            }
            if shape.is_tagged_union:
                return st.one_of(*(
                    st.fixed_dictionaries({n: self.for_shape(m, n, depth + 1)}) for n, m in members.items()
                ))
            required = {n: self.for_shape(m, n, depth + 1) for n, m in members.items() if n in shape.required_members}
            if depth >= MAX_DEPTH:
                return st.fixed_dictionaries(required)
            optional = {
                n: self.for_shape(m, n, depth + 1) for n, m in members.items() if n not in shape.required_members
            }
            if len(optional) <= MAX_OPTIONAL:
                return st.fixed_dictionaries(required, optional=optional)
            return _some_optional(required, optional)
        if kind == "list":
            low = shape.metadata.get("min", 0)
            high = shape.metadata.get("max")
            cap = max(low, min(LIST_CAP, high if high is not None else LIST_CAP))
            return st.lists(self.for_shape(shape.member, member, depth + 1), min_size=low, max_size=cap)
        if kind == "map":
            low = shape.metadata.get("min", 0)
            high = shape.metadata.get("max")
            cap = max(low, min(MAP_CAP, high if high is not None else MAP_CAP))
            return st.dictionaries(
                self.for_shape(shape.key, "", depth + 1),
                self.for_shape(shape.value, member, depth + 1),
                min_size=low,
                max_size=cap,
            )
        if kind == "string":
            return _string_strategy(shape)
        if kind in ("integer", "long", "double", "float"):
            return _number_strategy(shape)
        if kind == "boolean":
            return st.booleans()
        if kind == "timestamp":
            return st.datetimes(timezones=st.just(dt.UTC))
        if kind == "blob":
            return st.binary(min_size=shape.metadata.get("min", 0), max_size=64)
        raise AssertionError(f"no strategy for shape type {kind}")


# ---------------------------------------------------------------------------------------------
# Breaking one constraint


@dataclass(frozen=True, slots=True)
class Mutation:
    """One way to make a valid request invalid, and what the server must then say."""

    kind: str
    path: Path  # where in the params the change happens
    shape: Shape  # the shape of the value at `path` (of the parent structure for "drop")
    location: str | None  # "uri", "querystring" or None (JSON body)
    member: str = ""  # the dropped member, for "drop"


@dataclass(frozen=True, slots=True)
class Broken:
    """A mutated request: its params, the field path the message must name, and a phrase of it."""

    params: dict[str, Any]
    field: str  # e.g. "sourceFlowConfig.connectorType", "tasks[0].sourceFields", "tags[env]"
    phrase: str  # e.g. "Member must not be null"
    kind: str


def field_path(path: Path) -> str:
    """`('tasks', 0, 'taskType')` -> `tasks[0].taskType`; map keys and list indexes in brackets."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out and part.startswith("\0key:"):
            out += f"[{part[5:]}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


def _map_key(key: str) -> str:
    return f"\0key:{key}"


def _get(params: Any, path: Path) -> Any:
    for part in path:
        params = params[part[5:] if isinstance(part, str) and part.startswith("\0key:") else part]
    return params


def _set(params: Any, path: Path, value: Any) -> None:
    parent = _get(params, path[:-1])
    last = path[-1]
    parent[last[5:] if isinstance(last, str) and last.startswith("\0key:") else last] = value


_BODY_ONLY = {"type", "null_entry"}


def mutation_sites(op: OperationModel, params: dict[str, Any]) -> list[Mutation]:
    """Every one-constraint mutation the valid `params` of `op` allow."""
    sites: list[Mutation] = []
    shape = op.input_shape
    if shape is None:
        return sites
    _sites(shape, params, (), None, sites)
    return sites


def _sites(shape: Shape, value: Any, path: Path, location: str | None, out: list[Mutation]) -> None:
    kind = shape.type_name
    if path and location is None:
        out.append(Mutation("type", path, shape, None))
    if kind == "structure":
        for name in shape.required_members:
            member_location = shape.members[name].serialization.get("location")
            # A required query list cannot be absent on the wire: the server reads no key as [].
            droppable = member_location is None or (
                member_location == "querystring" and shape.members[name].type_name != "list"
            )
            if name in value and droppable:
                out.append(Mutation("drop", path, shape, member_location, name))
        for name, item in value.items():
            member = shape.members[name]
            _sites(member, item, (*path, name), location or member.serialization.get("location"), out)
    elif kind == "list":
        meta = shape.metadata
        if meta.get("max") is not None:
            out.append(Mutation("too_long", path, shape, location))
        if meta.get("min", 0) >= 1 and location is None:
            out.append(Mutation("too_short", path, shape, location))
        if location is None and value:
            out.append(Mutation("null_entry", path, shape, location))
        for i, item in enumerate(value):
            _sites(shape.member, item, (*path, i), location, out)
    elif kind == "map":
        meta = shape.metadata
        if meta.get("max") is not None:
            out.append(Mutation("too_long", path, shape, location))
        if meta.get("min", 0) >= 1:
            out.append(Mutation("too_short", path, shape, location))
        if value:
            out.append(Mutation("null_entry", path, shape, location))
            if _bad_string(shape.key) is not None:
                out.append(Mutation("bad_key", path, shape, location))
        for key, item in value.items():
            _sites(shape.value, item, (*path, _map_key(key)), location, out)
    elif kind == "string":
        meta = shape.metadata
        if meta.get("max") is not None:
            out.append(Mutation("too_long", path, shape, location))
        if meta.get("min", 0) >= (2 if location == "uri" else 1):
            out.append(Mutation("too_short", path, shape, location))
        if shape.enum:
            out.append(Mutation("enum", path, shape, location))
        elif meta.get("pattern") is not None and _bad_string(shape) is not None:
            out.append(Mutation("pattern", path, shape, location))
    elif kind in ("integer", "long", "double", "float") and (
        shape.metadata.get("min") is not None or shape.metadata.get("max") is not None
    ):
        out.append(Mutation("range", path, shape, location))


_BAD_CHARS = ("\n", " ", "\x00", "!", "\u00e9", "a b", "aws:x", "\t")


def _bad_string(shape: Shape) -> str | None:
    """A string breaking only the pattern of `shape` (its length in bounds), if there is one."""
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return None
    compiled = java_pattern(pattern)
    low = max(shape.metadata.get("min", 0), 1)
    high = shape.metadata.get("max")
    for seed in _BAD_CHARS:
        candidate = (seed * (low // len(seed) + 1))[: max(low, len(seed))]
        if (high is None or len(candidate) <= high) and compiled.fullmatch(candidate) is None:
            return candidate
    return None


_WRONG_TYPE: dict[str, Any] = {
    "string": 12345,
    "integer": "12",
    "long": "12",
    "double": "1.5",
    "float": "1.5",
    "boolean": "true",
    "structure": [1, 2],
    "list": {"not": "a list"},
    "map": ["not", "a map"],
    "timestamp": {"not": "a time"},
    "blob": 7,
}


def apply(mutation: Mutation, params: dict[str, Any], draw: Callable[[st.SearchStrategy[Any]], Any],
          strategies: ShapeStrategies) -> Broken:
    """`params` with `mutation` applied (a deep copy)."""
    broken = copy.deepcopy(params)
    shape = mutation.shape
    meta = shape.metadata
    path = mutation.path
    kind = mutation.kind
    if kind == "drop":
        del _get(broken, path)[mutation.member]
        return Broken(broken, field_path((*path, mutation.member)), "Member must not be null", kind)
    value = _get(broken, path)
    if kind == "type":
        _set(broken, path, _WRONG_TYPE[shape.type_name])
        return Broken(broken, field_path(path), "Member must be of type", kind)
    if kind == "null_entry":
        if shape.type_name == "list":
            index = draw(st.integers(0, len(value) - 1))
            value[index] = None
            return Broken(broken, field_path((*path, index)), "Member must not be null", kind)
        key = draw(st.sampled_from(sorted(value)))
        value[key] = None
        return Broken(broken, field_path((*path, _map_key(key))), "Member must not be null", kind)
    if kind == "bad_key":
        bad = _bad_string(shape.key)
        assert bad is not None
        value[bad] = next(iter(value.values()))
        return Broken(broken, field_path(path), "Map keys must satisfy constraint", kind)
    if kind == "enum":
        _set(broken, path, "NOT_A_MODELLED_VALUE")
        return Broken(broken, field_path(path), "Member must satisfy enum value set", kind)
    if kind == "pattern":
        bad = _bad_string(shape)
        assert bad is not None
        _set(broken, path, bad)
        return Broken(broken, field_path(path), "Member must satisfy regular expression pattern", kind)
    if kind == "range":
        low, high = meta.get("min"), meta.get("max")
        step = 1 if shape.type_name in ("integer", "long") else 0.5
        sides = [s for s in ("low", "high") if (low if s == "low" else high) is not None]
        side = draw(st.sampled_from(sides))
        _set(broken, path, low - step if side == "low" else high + step)
        return Broken(broken, field_path(path), "Member must have value", kind)
    if kind == "too_short":
        low = meta["min"]
        _set(broken, path, value[: low - 1] if shape.type_name != "map" else dict(list(value.items())[: low - 1]))
        return Broken(broken, field_path(path), f"Member must have length greater than or equal to {low}", kind)
    if kind == "too_long":
        high = meta["max"]
        _set(broken, path, _longer(shape, value, high + 1, draw, strategies))
        return Broken(broken, field_path(path), f"Member must have length less than or equal to {high}", kind)
    raise AssertionError(f"unknown mutation {kind}")


def _longer(shape: Shape, value: Any, size: int, draw: Callable[[st.SearchStrategy[Any]], Any],
            strategies: ShapeStrategies) -> Any:
    """`value` grown to `size` entries/characters, keeping entries valid where it can."""
    if shape.type_name == "string":
        filler = value[-1] if value else "a"
        return value + filler * (size - len(value))
    if shape.type_name == "list":
        items = list(value) or [draw(strategies.for_shape(shape.member, "", 1))]
        return [items[i % len(items)] for i in range(size)]
    grown = dict(value)
    item = next(iter(value.values())) if value else draw(strategies.for_shape(shape.value, "", 1))
    keys = draw(st.lists(strategies.for_shape(shape.key, "", 1), min_size=size, max_size=size, unique=True))
    for key in keys:
        if len(grown) >= size:
            break
        grown.setdefault(key, item)
    return grown


# ---------------------------------------------------------------------------------------------
# The REST-JSON request, built by hand


def to_json(value: Any) -> Any:
    """Params as JSON values: timestamps as epoch seconds, bytes as text, the rest unchanged."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, float) and not math.isfinite(value):
        raise AssertionError("non-finite float in a request")
    return value


_LABEL = re.compile(r"\{([^}+]+)\+?\}")


def raw_request(op: OperationModel, params: dict[str, Any]) -> tuple[str, str, bytes]:
    """`(method, path?query, body)` for `params`, placed where the model puts each member."""
    shape = op.input_shape
    uri = op.http["requestUri"]
    query: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    labels: dict[str, str] = {}
    members: dict[str, Shape] = shape.members if shape is not None else {}
    for name, value in params.items():
        member = members.get(name)
        location = member.serialization.get("location") if member is not None else None
        wire = member.serialization.get("name", name) if member is not None else name
        if location == "uri":
            labels[wire] = str(value)
        elif location == "querystring":
            values = value if isinstance(value, list) else [value]
            query.extend((wire, str(v)) for v in values)
        else:
            body[wire] = to_json(value)
    path = _LABEL.sub(lambda m: percent_encode(labels.get(m.group(1), "")), uri.split("?", 1)[0])
    if query:
        path += "?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query)
    has_body = any("location" not in m.serialization for m in members.values())
    data = json.dumps(body, ensure_ascii=False).encode() if has_body else b""
    return op.http["method"], path, data
