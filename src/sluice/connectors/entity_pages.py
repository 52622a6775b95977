"""`ListConnectorEntities` pages cut from a full entity list (connectors layer).

Salesforce's sObject list and the REST connectors' catalogs arrive whole; `maxResults` slices them
with an opaque offset token that names its kind, so a token from one listing is refused by another.
"""

from __future__ import annotations

import base64
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage


def entity_page(entities: list[dict[str, Any]], max_results: int | None, next_token: str | None,
                kind: str) -> EntityPage:
    """The page of `entities` that `next_token` and `max_results` ask for (everything left without a maximum)."""
    start = _offset(next_token, kind)
    if not max_results:
        return EntityPage(entities=entities[start:])
    end = start + max_results
    token = base64.urlsafe_b64encode(f"{kind}:{end}".encode()).decode() if end < len(entities) else None
    return EntityPage(entities=entities[start:end], next_token=token)


def _offset(token: str | None, kind: str) -> int:
    if not token:
        return 0
    try:
        found, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if found == kind and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ConnectorError("InvalidArgument", "the nextToken is not one this connector issued")
