"""`sluice flows start --wait`: follow one run to its end with a progress bar (CLI layer).

Polls DescribeFlowExecutionRecords, the call every AppFlow client polls, and shows records,
MB/s and elapsed time with `rich`. The counts move while the run is InProgress on a server that
updates them live and jump at the end on one that does not; either way the bar ends with the
run's own totals. The bar goes to stderr, so stdout keeps only the summary line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sluice.commands.api_client import Api
from sluice.commands.display import epoch
from sluice.commands.records import TERMINAL, execution


def rate(bytes_processed: float, seconds: float) -> str:
    """Throughput as `12.3 MB/s` (decimal megabytes, as transfer rates are usually given)."""
    return f"{bytes_processed / max(seconds, 1e-3) / 1e6:.1f} MB/s"


def follow(
    api: Api,
    flow: str,
    execution_id: str,
    *,
    interval: float = 1.0,
    console: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the run until it ends, updating a progress bar; the final execution record."""
    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        TextColumn("{task.fields[records]:,} records"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
    )
    watched = time.monotonic()
    with Progress(*columns, console=console or Console(stderr=True)) as bar:
        task = bar.add_task(f"{flow} InProgress", total=None, records=0, rate=rate(0, 1))
        while True:
            record = execution(api, flow, execution_id)
            result = record.get("executionResult") or {}
            status = str(record.get("executionStatus"))
            started = epoch(record.get("startedAt")) or time.time()
            ended = epoch(record.get("lastUpdatedAt")) if status in TERMINAL else None
            # The server's clock gives the run's own duration; a run shorter than its timestamps'
            # resolution falls back to how long this command has watched it.
            seconds = (ended or time.time()) - started
            if seconds <= 0:
                seconds = time.monotonic() - watched
            bar.update(task, description=f"{flow} {status}", records=int(result.get("recordsProcessed") or 0),
                       rate=rate(float(result.get("bytesProcessed") or 0), seconds))
            if status in TERMINAL:
                bar.update(task, total=1, completed=1)
                return record
            sleep(interval)
