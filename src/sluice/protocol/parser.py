"""REST-JSON request -> operation input dict (protocol layer).

`parse_request` reads each input member from where the model puts it: URI labels (`uri`), the
query string (`querystring`, lists from repeated keys; a required list with no key is empty, as
an empty list never reaches the wire), headers (`header`), and the JSON body for the rest.
Members the model does not know are dropped silently, as AWS ignores them, at every depth.
Timestamps become timezone-aware UTC datetimes; every other value stays as JSON gave it
and `validate.validate_input` judges it next. Neighbours: `router` before, `validate` after.

A body is refused as a SerializationException before anything walks it when it nests deeper
than `MAX_JSON_DEPTH` (no AppFlow shape is half as deep; recursion further on would fail) or
holds a lone UTF-16 surrogate escape such as `"\ud800"` (valid JSON, but not text: it cannot be
stored, logged or sent back as UTF-8).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.model import OperationModel, Shape

from sluice.protocol import errors
from sluice.protocol.validate import Violation, format_message

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_JSON_DEPTH = 64
# A `\uD800`-`\uDFFF` escape; a false hit (an escaped backslash before it) only costs a walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_request(
    op: OperationModel,
    path_params: dict[str, str],
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The input params of `op` from the parts of an HTTP request.

    Raises a 400 SerializationException when the body is not a JSON object and a 400
    ValidationException when a timestamp cannot be read.
    """
    shape = op.input_shape
    if shape is None:
        return {}
    bad: list[Violation] = []
    params: dict[str, Any] = {}
    payload_name = shape.serialization.get("payload")
    if payload_name is not None:
        payload_shape = shape.members[payload_name]
        if payload_shape.type_name in ("blob", "string"):  # a raw, non-JSON payload
            if body:
                params[payload_name] = body if payload_shape.type_name == "blob" else body.decode()
        elif (payload := _json_body(body)) is not None:
            params[payload_name] = _from_json(payload_shape, payload, payload_name, bad)
    else:
        params = _from_json(shape, _json_body(body) or {}, "", bad)

    lower_headers = {k.lower(): v for k, v in headers.items()}
    consumed: set[str] = set()
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location is None:
            continue
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in path_params:
                params[name] = _from_text(member, path_params[wire], name, bad, "iso8601")
        elif location == "querystring":
            if member.type_name == "map":
                continue  # takes what the other query members leave; filled below
            consumed.add(wire)
            values = [v for k, v in query if k == wire]
            if values:
                params[name] = _from_query(member, values, name, bad)
            elif member.type_name == "list" and name in shape.required_members:
                # A query list is one key per entry, so an empty list never reaches the wire:
                # botocore accepts `tagKeys=[]` for a required member and sends no key at all.
                params[name] = []
        elif location == "header":
            if wire.lower() in lower_headers:
                params[name] = _from_text(member, lower_headers[wire.lower()], name, bad, "rfc822")
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in lower_headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
    for name, member in shape.members.items():
        if member.serialization.get("location") == "querystring" and member.type_name == "map":
            rest = {k: v for k, v in query if k not in consumed}
            if rest:
                params[name] = rest
    if bad:
        raise errors.validation_error(format_message(bad))
    return params


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _json_body(body: bytes) -> dict[str, Any] | None:
    if not body or body.isspace():
        return None
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.serialization_error(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise _too_deep() from None
    if not isinstance(value, dict):
        raise errors.serialization_error("The request body must be a JSON object")
    # Depth cannot exceed the number of opening brackets: most bodies skip the walk.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth_exceeds(value, MAX_JSON_DEPTH):
        raise _too_deep()
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(value):
        raise errors.serialization_error(
            "The request body is not valid UTF-8 text: it holds an unpaired UTF-16 surrogate escape"
        )
    return value


def _too_deep() -> errors.ProtocolError:
    return errors.serialization_error(f"The request body nests JSON values deeper than {MAX_JSON_DEPTH} levels")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests lists/objects more than `limit` deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string (key or value) anywhere in `value` cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts: list[Any] = [item]
        elif isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            texts = []
            stack.extend(item)
        else:
            continue
        for text in texts:
            if isinstance(text, str) and not _encodable(text):
                return True
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _from_json(shape: Shape, value: Any, path: str, bad: list[Violation]) -> Any:
    """Keep modelled members (by their wire names), convert timestamps, leave the rest as is."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        if getattr(shape, "is_document_type", False):
            return value
        out: dict[str, Any] = {}
        members: dict[str, Shape] = shape.members
        for name, member in members.items():
            # URI, query and header members never come from the body
            wire = member.serialization.get("name", name)
            if wire in value and "location" not in member.serialization:
                item = value[wire]
                if item is not None:  # an explicit null is an absent member, as in AWS
                    out[name] = _from_json(member, item, _join(path, name), bad)
        return out
    if kind == "list" and isinstance(value, list):
        member = shape.member
        if not _needs_walk(member):
            return value
        return [
            None if item is None else _from_json(member, item, f"{path}[{i}]", bad)
            for i, item in enumerate(value)
        ]
    if kind == "map" and isinstance(value, dict):
        item_shape = shape.value
        if not _needs_walk(item_shape):
            return value
        return {
            k: None if item is None else _from_json(item_shape, item, f"{path}[{k}]", bad)
            for k, item in value.items()
        }
    if kind == "timestamp":
        return _timestamp(value, path, bad)
    return value


def _needs_walk(shape: Shape) -> bool:
    # Scalars other than timestamps pass through unchanged; skip per-item calls for them.
    return shape.type_name in ("structure", "list", "map", "timestamp")


def _timestamp(value: Any, path: str, bad: list[Violation]) -> Any:
    """Epoch seconds (number or numeric string) or ISO-8601 text -> aware UTC datetime."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _from_epoch(value)
        if isinstance(value, str):
            try:
                return _from_epoch(float(value))
            except ValueError:
                parsed = dt.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=dt.UTC)
                return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    bad.append(Violation(path, value, "Member must be of type timestamp"))
    return value


def _from_epoch(seconds: float) -> dt.datetime:
    if not math.isfinite(seconds):
        raise ValueError("not a finite number")
    return _EPOCH + dt.timedelta(seconds=seconds)


def _from_text(shape: Shape, text: str, path: str, bad: list[Violation], time_format: str) -> Any:
    """A scalar from a URI label, query value or header, typed by its shape."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text  # the validator names the wrong type
    if kind in ("double", "float"):
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", time_format)
        if fmt == "rfc822":
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return _timestamp(text, path, bad)
            if parsed.tzinfo is None:  # "-0000" means UTC
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed.astimezone(dt.UTC)
        return _timestamp(text, path, bad)
    return text


def _from_query(shape: Shape, values: list[str], path: str, bad: list[Violation]) -> Any:
    if shape.type_name == "list":
        member = shape.member
        return [_from_text(member, v, f"{path}[{i}]", bad, "iso8601") for i, v in enumerate(values)]
    return _from_text(shape, values[0], path, bad, "iso8601")
