"""Metrics routes: `GET /api/v1/query` and `GET /api/v1/metrics` (fake side; see metrics.py for the data)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .errors import DatadogError
from .metrics import MetricQueryError, active_metrics, parse_query, run_query
from .state import DatadogState
from .timeparse import posix_seconds_params


async def query(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """Timeseries points for `query` between POSIX-second `from` and `to`."""
    q = request.query_params
    from_s, to_s = posix_seconds_params(q, "from", "to")
    text = q.get("query")
    if not text:
        raise DatadogError(400, "Missing required parameter: query")
    if to_s < from_s:
        raise DatadogError(400, "The 'to' timestamp must be after the 'from' timestamp")
    try:
        parsed = parse_query(text)
    except MetricQueryError as exc:
        raise DatadogError(400, str(exc)) from None
    series = run_query(parsed, from_s, to_s, state.start_ms // 1000)
    return {"status": "ok", "res_type": "time_series", "query": text, "from_date": from_s * 1000,
            "to_date": to_s * 1000, "group_by": parsed.by, "message": "", "series": series}


async def active(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """The metrics actively reporting since POSIX-second `from`."""
    q = request.query_params
    (from_s,) = posix_seconds_params(q, "from")
    return {"from": str(from_s), "metrics": active_metrics(q.get("host"))}
