"""The parts of an OData JSON answer (connectors layer, shared OData).

V2 JSON ("verbose"): `{"d": {"results": [...], "__count": "12", "__next": "...", "__delta": "..."}}`
(OData V2 JSON format, 2.2.6.3); an old V1 service answers `{"d": [...]}`.
V4 JSON: `{"@odata.context": ..., "value": [...], "@odata.count": 12, "@odata.nextLink": "...",
"@odata.deltaLink": "..."}` (OData JSON Format 4.01, sections 4.5 and 12).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorError


def body_parts(body: Any, v4: bool, vendor: str) -> tuple[list[Any], int | None, str | None, str | None]:
    """(records, total count, next link, delta link) of one answer from `vendor`'s service."""
    if v4:
        if not isinstance(body, Mapping):
            raise ConnectorError("ServerError", f"{vendor}'s answer is not an OData V4 JSON object")
        count = body.get("@odata.count")
        return (list(body.get("value") or []), int(count) if count is not None else None,
                body.get("@odata.nextLink"), body.get("@odata.deltaLink"))
    data = body.get("d") if isinstance(body, Mapping) else None
    if isinstance(data, list):  # OData V1 JSON: the list itself
        return data, None, None, None
    if not isinstance(data, Mapping):
        raise ConnectorError("ServerError", f"{vendor}'s answer has no \"d\" member (is $format=json honoured?)")
    count = data.get("__count")
    return (list(data.get("results") or []), int(count) if count is not None else None, data.get("__next"),
            data.get("__delta"))
