"""Opaque page cursors and `links.next` for the v2 list APIs (fake side).

Datadog's v2 Logs and Events lists page with `page[cursor]` / `page.cursor`: the answer's
`meta.page.after` is the cursor for the next page and `links.next` a ready-made URL for it
(https://docs.datadoghq.com/logs/guide/collect-multiple-logs-with-pagination/). The cursor is opaque to
clients; here it is base64 of the last (timestamp, sequence) key returned, so records added between pages
neither repeat nor go missing.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from .errors import DatadogError
from .timeline import Key

MAX_LIMIT = 1000
DEFAULT_LIMIT = 10


def encode_cursor(key: Key) -> str:
    """The cursor that continues after `key`."""
    raw = json.dumps({"after": [key[0], key[1]]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Key | None:
    """The key a cursor continues after (None for the first page); 400 for a cursor the API did not make."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        t, s = data["after"]
        return int(t), int(s)
    except (ValueError, KeyError, TypeError):
        raise DatadogError(400, "Invalid cursor") from None


def page_limit(value: object) -> int:
    """`page[limit]`: 1..1000, default 10."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise DatadogError(400, f"Invalid page limit: {value}") from None
    if limit < 1 or limit > MAX_LIMIT:
        raise DatadogError(400, f"page[limit] must be between 1 and {MAX_LIMIT}")
    return limit


def sort_order(value: object, default: str = "-timestamp") -> bool:
    """True for descending (`-timestamp`), False for ascending (`timestamp`)."""
    sort = default if value in (None, "") else value
    if sort not in ("timestamp", "-timestamp"):
        raise DatadogError(400, f"Invalid sort: {sort}. Allowed values: timestamp, -timestamp")
    return sort == "-timestamp"


def next_link(base_url: str, path: str, params: dict[str, str], cursor: str) -> str:
    """A `links.next` URL: the GET form of the same search with `page[cursor]`."""
    return f"{base_url}{path}?{urlencode({**params, 'page[cursor]': cursor})}"
