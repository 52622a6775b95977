"""Record batches of a fixed size from pages of any size (connectors layer).

Vendor APIs page by their own sizes (2,000 Salesforce records, a custom connector's page);
sources hand the engine batches of `RunContext.batch_size` rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa


class Rechunker:
    """Turns batches of any size into batches of `size` rows (the last one may be smaller)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
        """Take a batch; yield every full batch now available."""
        if batch.num_rows == 0:
            return
        self.pending.append(batch)
        self.rows += batch.num_rows
        while self.rows >= self.size:
            combined = pa.concat_batches(self.pending) if len(self.pending) > 1 else self.pending[0]
            yield combined.slice(0, self.size)
            rest = combined.slice(self.size)
            self.pending = [rest] if rest.num_rows else []
            self.rows = rest.num_rows

    def flush(self) -> Iterator[pa.RecordBatch]:
        """Yield what is left (fewer than `size` rows)."""
        if self.rows:
            yield pa.concat_batches(self.pending) if len(self.pending) > 1 else self.pending[0]
        self.pending, self.rows = [], 0
