"""`nextPageKey` cursors: opaque strings that carry the frozen query, the position and the total.

Dynatrace's cursor is opaque to callers and, once given, replaces every other query parameter (the problems
list still takes `fields`); the fake packs what the next page needs into url-safe base64 JSON.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .errors import bad_parameter


def encode(state: dict[str, Any]) -> str:
    """An opaque cursor for `state`."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(key: str, endpoint: str) -> dict[str, Any]:
    """The state inside `key`; a 400 when it is not a cursor this endpoint issued."""
    try:
        state = json.loads(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)))
    except ValueError:
        raise bad_parameter("nextPageKey", "The page key is invalid.") from None
    if not isinstance(state, dict) or state.get("endpoint") != endpoint:
        raise bad_parameter("nextPageKey", "The page key is invalid.")
    return state


def only_cursor(query: dict[str, str], allowed: tuple[str, ...] = ()) -> None:
    """With `nextPageKey`, the docs say every other parameter (but `allowed`) must be omitted: 400 otherwise."""
    extra = sorted(k for k in query if k != "nextPageKey" and k not in allowed)
    if extra:
        raise bad_parameter(extra[0], "Must not be set together with nextPageKey: the page key already holds "
                                      "the query. Omit all other query parameters.")


def page_size(query: dict[str, str], default: int, maximum: int, clamp: bool = False) -> int:
    """`pageSize` within 1..maximum (a 400 above it, or clamped where the docs say larger values are cut)."""
    text = query.get("pageSize")
    if text is None:
        return default
    try:
        size = int(text)
    except ValueError:
        raise bad_parameter("pageSize", f"'{text}' is not a number.") from None
    if size < 1:
        raise bad_parameter("pageSize", "must be greater than or equal to 1")
    if size > maximum:
        if clamp:
            return maximum
        raise bad_parameter("pageSize", f"must be less than or equal to {maximum}")
    return size
