"""A run's records kept on local disk until a destination sends them (connectors layer).

Destinations whose writes cannot be rolled back (Salesforce, custom connectors) take the run's
batches into a spool while the source is read, and send them only at commit: a run that fails
while reading sends nothing. The spool is Arrow IPC stream files under
`<data_dir>/.sluice-spool/<execution_id>/<prefix>-<n>.arrow` (bounded memory, read back by
memory map); a batch whose types cannot be cast to the file's schema starts a new file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from sluice.connectors.base import ConnectorError

SPOOL_DIR = ".sluice-spool"


def spool_folder(data_dir: str, execution_id: str) -> Path:
    """The folder holding a run's spooled batches (shared by every spooling destination)."""
    return Path(data_dir, SPOOL_DIR, execution_id)


def cleanup(data_dir: str, execution_id: str, prefix: str) -> None:
    """Delete what a (killed) run spooled under `prefix`; nothing there is fine."""
    folder = spool_folder(data_dir, execution_id)
    if not folder.is_dir():
        return
    for path in folder.glob(f"{prefix}-*.arrow"):
        path.unlink(missing_ok=True)
    _remove_if_empty(folder)


def spool_cleanup(prefix: str) -> Callable[..., None]:
    """A `ConnectorSpec.cleanup_destination` deleting what a (killed) run spooled under `prefix`."""

    def cleanup_staging(props: Mapping[str, Any], data_dir: str, execution_id: str, aws: Any = None) -> None:
        cleanup(data_dir, execution_id, prefix)

    return cleanup_staging


def _remove_if_empty(folder: Path) -> None:
    """Remove the run's folder, then `.sluice-spool/`, each only once empty.

    Another run may be creating its folder under `.sluice-spool/` at that moment: `Spool._new_file`
    creates the folders again when they vanish under it.
    """
    for path in (folder, folder.parent):
        try:
            path.rmdir()
        except OSError:
            return


class Spool:
    """One destination's spooled batches."""

    def __init__(self, data_dir: str, execution_id: str, prefix: str) -> None:
        self.folder = spool_folder(data_dir, execution_id)
        self.prefix = prefix
        self.files: list[Path] = []
        self.rows = 0
        self._writer: Any = None
        self._schema: pa.Schema | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch (ServerError when the disk refuses)."""
        if self._writer is not None and not batch.schema.equals(self._schema):
            try:
                batch = batch.cast(self._schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                self.close()  # another type set: a new spool file
        try:
            if self._writer is None:
                self._writer = ipc.new_stream(str(self._new_file()), batch.schema)
                self._schema = batch.schema
            self._writer.write_batch(batch)
        except OSError as exc:
            raise ConnectorError("ServerError", f"could not spool records under {self.folder}: {exc}") from exc
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file being written (batches() reads only closed files)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every spooled batch, in order."""
        self.close()
        for path in self.files:
            with pa.memory_map(str(path)) as source, ipc.open_stream(source) as reader:
                yield from reader

    def drop(self) -> None:
        """Delete the files (and the run's folder once no other destination uses it)."""
        self.close()
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files.clear()
        if self.folder.is_dir():
            _remove_if_empty(self.folder)

    def _new_file(self) -> Path:
        number = 0
        for _ in range(1000):
            path = self.folder / f"{self.prefix}-{number}.arrow"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                # O_EXCL: two destinations of one run never share a file.
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                number += 1
                continue
            except FileNotFoundError:
                continue  # a folder was pruned by another spool just now: make it again
            self.files.append(path)
            return path
        raise OSError(f"could not create a spool file under {self.folder}")
