"""Prometheus metrics of this server (engine layer; read by `api/app.py` at `/metrics`).

Counters and histograms live in one `CollectorRegistry`, filled by the places that know the fact:
`run_reports.run_finished` (runs, records, bytes, duration), the scheduler (how late a scheduled
run fired) and the API endpoint (requests by operation and HTTP status).

Several server processes (`sluice serve --processes N`): when `PROMETHEUS_MULTIPROC_DIR` names a
folder (set it before the server starts; `prometheus_client` reads it at import), every process
writes its samples there and `/metrics` aggregates them all, as `prometheus_client`'s
multiprocess mode does. Without it, each process reports only its own counts, and the process a
scrape reaches decides what it sees.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS = Counter("sluice_runs", "Flow runs that ended, by final status and source connector type.",
               ["status", "connector_type"], registry=REGISTRY)
RECORDS = Counter("sluice_records_processed", "Records runs processed, by source connector type.",
                  ["connector_type"], registry=REGISTRY)
BYTES = Counter("sluice_bytes_processed", "Bytes runs processed, by source connector type.",
                ["connector_type"], registry=REGISTRY)
RUN_SECONDS = Histogram(
    "sluice_run_duration_seconds", "Wall time of ended runs, from start to final status.", ["status"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600), registry=REGISTRY,
)
SCHEDULER_LAG = Histogram(
    "sluice_scheduler_lag_seconds", "How late a scheduled run started compared with its due time.",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600), registry=REGISTRY,
)
API_REQUESTS = Counter("sluice_api_requests", "AppFlow API requests, by operation and HTTP status.",
                       ["operation", "status"], registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition() -> bytes:
    """The text exposition of every metric (aggregated over processes in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def run_ended(status: str, connector_type: str, records: int, data_bytes: int, seconds: float) -> None:
    """Count one ended run."""
    RUNS.labels(status, connector_type).inc()
    RECORDS.labels(connector_type).inc(max(0, records))
    BYTES.labels(connector_type).inc(max(0, data_bytes))
    RUN_SECONDS.labels(status).observe(max(0.0, seconds))


def scheduled_run_fired(lag_seconds: float) -> None:
    """Record how late the scheduler fired a run (0 when on time)."""
    SCHEDULER_LAG.observe(max(0.0, lag_seconds))


def api_request(operation: str, status: int) -> None:
    """Count one answered AppFlow API request."""
    API_REQUESTS.labels(operation, str(status)).inc()
