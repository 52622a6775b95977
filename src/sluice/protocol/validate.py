"""Input validation generated from the model (protocol layer).

`validate_input` walks an operation's input shape over the parsed params and collects every
violation of the model's constraints (required, type, length, pattern, enum, range, list and map
size, unions), then raises one `ValidationException` worded as AWS words it:

    2 validation errors detected: Value 'a b' at 'flowName' failed to satisfy constraint: Member
    must satisfy regular expression pattern: [a-zA-Z0-9][\\w!@#.-]+; Value null at
    'sourceFlowConfig.connectorType' failed to satisfy constraint: Member must not be null

Paths use '.' for structure members and `[i]` / `[key]` for list and map entries. Values of
`sensitive` shapes are not echoed ("Value at 'clientSecret' ...", as Cognito does).

Model patterns are Java regular expressions that must match the whole value; `java_pattern`
translates the constructs Python lacks and compiles with `re.ASCII`, since Java's `\\w`, `\\d` and
`\\s` are ASCII-only by default. Neighbours: `parser` runs before, the API dispatch after.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.model import Shape

from sluice.protocol import errors

MAX_LISTED = 10  # violations spelled out in one message; the count still covers all of them
_MAX_VALUE_CHARS = 256  # a rendered value longer than this is cut, so messages stay readable

_NULL = object()  # marks a missing/null value in a Violation
_LENGTH = "Member must have length"
_VALUE = "Member must have value"
_PATTERN = "Member must satisfy regular expression pattern:"


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed constraint: where, what value, and the AWS wording of the constraint."""

    path: str
    value: Any  # `_NULL` for a missing or null value
    constraint: str
    sensitive: bool = False

    def describe(self) -> str:
        if self.value is _NULL:
            shown = "Value null"
        elif self.sensitive:
            shown = "Value"
        else:
            shown = f"Value '{_render(self.value)}'"
        return f"{shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def format_message(violations: Sequence[Violation]) -> str:
    """`N validation error(s) detected: ...; ...`, listing at most `MAX_LISTED` of them."""
    n = len(violations)
    head = f"{n} validation error{'s' if n != 1 else ''} detected: "
    return head + "; ".join(v.describe() for v in violations[:MAX_LISTED])


def null_violation(path: str) -> Violation:
    """The 'Member must not be null' violation of a missing required member or null entry."""
    return Violation(path, _NULL, "Member must not be null")


def validate_input(shape: Shape | None, params: dict[str, Any]) -> None:
    """Raise a 400 `ValidationException` listing every constraint `params` breaks."""
    if shape is None:
        return
    found: list[Violation] = []
    _check(shape, params, "", found, False)
    if found:
        raise errors.validation_error(format_message(found))


# ---------------------------------------------------------------------------------------------
# The walk


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    sensitive = sensitive or bool(shape.metadata.get("sensitive"))
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        checker(shape, value, path, out, sensitive)


def _wrong_type(type_name: str, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    out.append(Violation(path, value, f"Member must be of type {type_name}", sensitive))


def _check_structure(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if shape.is_document_type:
        return
    if not isinstance(value, dict):
        _wrong_type("structure", value, path, out, sensitive)
        return
    for name in shape.required_members:
        if value.get(name) is None:
            out.append(null_violation(_join(path, name)))
    members: dict[str, Shape] = shape.members
    set_count = 0
    for name, item in value.items():  # inputs are sparse: walk what was sent, not the model
        member = members.get(name)
        if member is not None and item is not None:
            set_count += 1
            _check(member, item, _join(path, name), out, sensitive)
    if shape.is_tagged_union and set_count != 1:
        out.append(Violation(path, value, "Member must have exactly one member set", sensitive))


def _check_list(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if not isinstance(value, list):
        _wrong_type("list", value, path, out, sensitive)
        return
    _check_size(shape, value, path, out, sensitive)
    member: Shape = shape.member
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        if item is None:
            out.append(null_violation(item_path))
        else:
            _check(member, item, item_path, out, sensitive)


def _check_map(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if not isinstance(value, dict):
        _wrong_type("map", value, path, out, sensitive)
        return
    _check_size(shape, value, path, out, sensitive)
    key_shape: Shape = shape.key
    value_shape: Shape = shape.value
    for key, item in value.items():
        # AWS words key failures against the map itself: "Map keys must satisfy constraint: [...]".
        key_found: list[Violation] = []
        _check(key_shape, key, path, key_found, sensitive)
        if key_found:
            listed = ", ".join(v.constraint for v in key_found)
            out.append(Violation(path, key, f"Map keys must satisfy constraint: [{listed}]", sensitive))
        item_path = f"{path}[{key}]"
        if item is None:
            out.append(null_violation(item_path))
        else:
            _check(value_shape, item, item_path, out, sensitive)


def _check_size(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    size = len(value)
    if low is not None and size < low:
        out.append(Violation(path, value, f"{_LENGTH} greater than or equal to {low}", sensitive))
    if high is not None and size > high:
        out.append(Violation(path, value, f"{_LENGTH} less than or equal to {high}", sensitive))


# Beyond AppFlow: an Airbyte source or Singer tap is named `airbyte/<source>` or `singer/<tap>`
# (docs/connectors/external.md). The model's ConnectorLabel pattern has no `/`, so exactly that
# spelling is let through; the dotted `airbyte.<source>` already matches the model.
_EXTERNAL_LABEL = re.compile(r"(?:airbyte|singer)/[A-Za-z0-9][\w!@#.-]*")


def _beyond_appflow(shape: Shape, value: str) -> bool:
    """True for the one value shape Sluice accepts past the model's pattern (external labels)."""
    return shape.name == "ConnectorLabel" and _EXTERNAL_LABEL.fullmatch(value) is not None


def _check_string(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if not isinstance(value, str):
        _wrong_type("string", value, path, out, sensitive)
        return
    _check_size(shape, value, path, out, sensitive)
    pattern = shape.metadata.get("pattern")
    if pattern is not None:
        compiled = _compiled_or_none(pattern)
        if compiled is not None and compiled.fullmatch(value) is None and not _beyond_appflow(shape, value):
            out.append(Violation(path, value, f"{_PATTERN} {pattern}", sensitive))
    enum: list[str] = shape.enum
    if enum and value not in enum:
        out.append(
            Violation(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]", sensitive)
        )


def _check_range(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    if low is not None and value < low:
        out.append(Violation(path, value, f"{_VALUE} greater than or equal to {low}", sensitive))
    if high is not None and value > high:
        out.append(Violation(path, value, f"{_VALUE} less than or equal to {high}", sensitive))


# What the wire types hold: a number past them is not an `integer` (int32) or `long` (int64).
_INTEGER_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _check_integer(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _wrong_type(shape.type_name, value, path, out, sensitive)
        return
    low, high = _INTEGER_BOUNDS[shape.type_name]
    if not low <= value <= high:
        bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        out.append(Violation(path, value, f"{_VALUE} {bound}", sensitive))
        return
    _check_range(shape, value, path, out, sensitive)


def _check_float(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _wrong_type(shape.type_name, value, path, out, sensitive)
        return
    _check_range(shape, value, path, out, sensitive)


def _check_boolean(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if not isinstance(value, bool):
        _wrong_type("boolean", value, path, out, sensitive)


def _check_timestamp(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    if not isinstance(value, dt.datetime):
        _wrong_type("timestamp", value, path, out, sensitive)


def _check_blob(shape: Shape, value: Any, path: str, out: list[Violation], sensitive: bool) -> None:
    # In a JSON body a blob is a base64 string; the parser keeps it as it came.
    if not isinstance(value, str | bytes | bytearray):
        _wrong_type("blob", value, path, out, sensitive)
        return
    _check_size(shape, value, path, out, sensitive)


_Checker = Callable[[Shape, Any, str, list[Violation], bool], None]
_CHECKERS: dict[str, _Checker] = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "double": _check_float,
    "float": _check_float,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "blob": _check_blob,
}


# ---------------------------------------------------------------------------------------------
# Rendering values the way Java's toString does (AWS services are Java)


def _render(value: Any) -> str:
    text = _java_str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _java_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Java regular expressions -> Python

_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)

# Java's POSIX classes (US-ASCII only, as in Java), written as the inside of a character class so
# that they work both alone and within [...].
_PROPERTY_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}


def _surrogates_to_code_point(m: re.Match[str]) -> str:
    high, low = int(m.group(1), 16), int(m.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"


def _translate(pattern: str) -> str:
    """Rewrite the Java-only constructs of `pattern` into Python `re` syntax."""
    pattern = _SURROGATE_PAIR.sub(_surrogates_to_code_point, pattern)
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i + 3)
                name = pattern[i + 3 : end].removeprefix("Is")
                body = _PROPERTY_CLASSES.get(name)
                if body is None or (nxt == "P" and in_class):
                    raise ValueError(f"unsupported Java character property \\{nxt}{{{name}}}")
                if nxt == "P":
                    body = "^" + body
                out.append(body if in_class else f"[{body}]")
                i = end + 1
                continue
            if nxt == "Q":  # \Q...\E quotes a literal run
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt == "k" and pattern.startswith("<", i + 2):  # \k<name> back-reference
                end = pattern.index(">", i + 3)
                out.append(f"(?P={pattern[i + 3 : end]})")
                i = end + 1
                continue
            if nxt == "z":
                out.append("\\Z")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class and out and out[-1] not in ("[", "[^"):
            in_class = False
        elif c == "(" and pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")  # Java named group
            i += 3
            continue
        if c == "^" and out and out[-1] == "[":
            out[-1] = "[^"
        elif c == "." and not in_class:
            # Java's `.` excludes every line terminator; Python's only `\n`.
            out.append(_JAVA_DOT)
        else:
            out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def java_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model (Java) pattern for use with `fullmatch`; raises ValueError if it cannot."""
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except re.error as exc:
        raise ValueError(f"cannot compile model pattern {pattern!r}: {exc}") from exc


@lru_cache(maxsize=512)
def _compiled_or_none(pattern: str) -> re.Pattern[str] | None:
    # A pattern we cannot translate is not enforced rather than failing every request; the unit
    # tests compile every pattern of the model, so this only guards a future botocore.
    try:
        return java_pattern(pattern)
    except ValueError:
        return None
