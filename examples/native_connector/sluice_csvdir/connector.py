"""The csvdir connector's metadata, source and destination (see the package docstring)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView, ReadStats, RunContext, WriteResult

_FIELD_TYPES = {"int64": "Integer", "double": "Double", "bool": "Boolean", "timestamp[s]": "DateTime"}


def folder(profile: ProfileView) -> Path:
    """The profile's folder; InvalidArgument when it is missing."""
    path = ((profile.properties.get("profileProperties") or {}).get("path")) if profile.properties else None
    if not path or not Path(path).is_dir():
        raise ConnectorError("InvalidArgument", f"profileProperties.path must name an existing folder, not {path!r}")
    return Path(path)


def _file(profile: ProfileView, entity: str) -> Path:
    if "/" in entity or entity.startswith("."):
        raise ConnectorError("InvalidArgument", f"{entity!r} is not an entity of a csvdir folder")
    return folder(profile) / f"{entity}.csv"


class CsvDirMetadata:
    """Entities are the folder's CSV files; fields come from each file's header and types."""

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        names = sorted(p.stem for p in folder(profile).glob("*.csv"))
        return EntityPage([{"name": n, "label": n, "hasNestedEntities": False} for n in names])

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        path = _file(profile, entity_name)
        if not path.exists():
            raise ConnectorError("ResourceNotFound", f"there is no {path.name} in the folder")
        schema = pacsv.open_csv(path).schema
        return [{
            "identifier": f.name,
            "label": f.name,
            "supportedFieldTypeDetails": {"v1": {
                "fieldType": _FIELD_TYPES.get(str(f.type), "String"), "filterOperators": ["PROJECTION", "NO_OP"]}},
            "sourceProperties": {"isRetrievable": True, "isQueryable": False},
            "destinationProperties": {"isCreatable": True, "isNullable": True, "supportedWriteOperations": ["INSERT"]},
        } for f in schema]


class CsvDirSource:
    """Streams `<entity>.csv` as record batches."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> None:
        self.path = _file(profile, str(props.get("entityName") or ""))
        self.ctx = ctx
        self.stats = ReadStats()

    def read(self) -> Iterator[pa.RecordBatch]:
        if not self.path.exists():
            raise ConnectorError("ResourceNotFound", f"there is no {self.path.name} in the folder")
        self.stats.bytes_read = self.path.stat().st_size
        for batch in pacsv.open_csv(self.path):
            for part in pa.Table.from_batches([batch]).to_batches(max_chunksize=self.ctx.batch_size):
                self.stats.records_read += part.num_rows
                self.stats.pages_read += 1
                self.stats.max_page_size = max(self.stats.max_page_size, part.num_rows)
                yield part


class CsvDirDestination:
    """Writes a hidden temporary file and renames it over `<entity>.csv` at commit."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> None:
        self.path = _file(profile, str(props.get("entityName") or ""))
        fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".csv.tmp", dir=self.path.parent)
        os.close(fd)
        self.staging = Path(name)
        self.writer: pacsv.CSVWriter | None = None
        self.rows = 0

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        if self.writer is None:
            self.writer = pacsv.CSVWriter(str(self.staging), batch.schema)
        self.writer.write_batch(batch)
        self.rows += batch.num_rows

    def commit(self) -> WriteResult:
        if self.writer is not None:
            self.writer.close()
        os.replace(self.staging, self.path)
        return WriteResult(bytes_written=self.path.stat().st_size, records_written=self.rows,
                           files=[str(self.path)])

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.staging.unlink(missing_ok=True)
