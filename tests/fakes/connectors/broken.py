"""Deliberately broken connector handlers, for Sluice's failure handling.

Each answers DescribeConnectorConfiguration (so it can be registered) except `garbage`:
- `hang`: QueryData never returns (sleeps forever); everything else is the tickets connector's.
- `crash`: QueryData kills the process (`os._exit(1)`); everything else is the tickets connector's.
- `garbage`: answers every request, DescribeConnectorConfiguration included, with a string.
Handlers: `tests.fakes.connectors.broken:hang` (or `:crash`, `:garbage`).
"""

from __future__ import annotations

import os
import threading
from typing import Any

try:
    from tests.fakes.connectors import json_api_connector as tickets
except ImportError:  # loaded by file path, with this folder on sys.path
    import json_api_connector as tickets  # type: ignore[no-redef]

QUERY_DATA = "QueryDataRequest"


def hang(event: dict[str, Any], context: Any) -> Any:
    """Like the tickets connector, but QueryData blocks forever."""
    if event.get("type") == QUERY_DATA:
        threading.Event().wait()
    return tickets.lambda_handler(event, context)


def crash(event: dict[str, Any], context: Any) -> Any:
    """Like the tickets connector, but QueryData exits the process with status 1."""
    if event.get("type") == QUERY_DATA:
        os._exit(1)
    return tickets.lambda_handler(event, context)


def garbage(event: dict[str, Any], context: Any) -> Any:
    """A string instead of a response document, for every request."""
    return f"this is not a {event.get('type', 'response')} answer"
