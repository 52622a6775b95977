"""The source of an event run: the change events spooled for it (engine layer).

An Event-triggered flow's subscriber writes each batch of change events to a JSON-lines file
(see `sluice.scheduler.events`); the run reads that file instead of querying the connector, so
a run processes exactly the events its record was created for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pj

from sluice.connectors.base import ConnectorError, ReadStats


def event_spool_dir(data_dir: str) -> Path:
    """Where event batches wait for their run: `<data dir>/events/<execution id>.jsonl`."""
    return Path(data_dir) / "events"


def drop_event_batch(path: str) -> None:
    """Delete a run's spooled events; called only once the run's outcome is committed."""
    Path(path).unlink(missing_ok=True)


class EventSpoolSource:
    """Reads a spooled event batch as Arrow record batches."""

    def __init__(self, path: str, batch_size: int) -> None:
        self.path = path
        self.batch_size = batch_size
        self.stats = ReadStats()

    def read(self) -> Iterator[Any]:
        """Yield the events as `pyarrow.RecordBatch`es of at most `batch_size` rows."""
        try:
            table = pj.read_json(self.path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise ConnectorError("ServerError", f"the spooled change events cannot be read: {exc}") from exc
        self.stats.bytes_read = os.path.getsize(self.path)
        self.stats.pages_read = 1
        self.stats.max_page_size = table.num_rows
        for batch in table.to_batches(max_chunksize=self.batch_size):
            self.stats.records_read += batch.num_rows
            yield batch
