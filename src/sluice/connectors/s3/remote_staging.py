"""The S3 destination's parts staged by Ray workers (connectors layer; contract: `connectors/remote_staging.py`).

`S3Destination.remote_staging()` returns an `S3RemoteStaging` (None for `SingleFile`
aggregation). Its `target` (`S3StagingTarget`) travels to the workers once per run: the
destination's properties, the run fields that fix the layout (flow name, execution id, start
time, schema version), the data directory, and the account's S3 access exactly as the run
passes it to workers for the source (its `AwsIdentity`, whose repr names no secret, and the
bucket policy's answer for this one bucket).

On a worker, `target.writer(split, attempt)` opens an `S3Destination` of its own whose staged
files are named `ray-<split>-<attempt>-<n>.<ext>` in the run's staging prefix: the same format
writers, stringification, partition folders, `targetFileSize` roll-over and open-file bound as
a local run, one part file (or more) per split and partition. `close()` returns the manifest
entry; the coordinator's `adopt` gives each part its final key, in the order the splits are
adopted (split order), so the published files list in split order.

Not for `SingleFile` aggregation: one file per partition cannot be filled by many writers, so
that run is written on the coordinator from the batches the tasks return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import RunContext
from sluice.connectors.remote import FixedBuckets
from sluice.connectors.remote_staging import StagedPart, StagedParts
from sluice.connectors.s3.destination import S3Destination


@dataclass(frozen=True, slots=True, repr=False)
class S3StagingTarget:
    """What a worker needs to stage this run's S3 parts (pickles; see the module docstring)."""

    props: Mapping[str, Any]  # S3DestinationProperties (bucket, prefix, output format): no secrets
    flow_name: str
    execution_id: str
    schema_version: int
    started_at: float
    data_dir: str
    batch_size: int
    aws: AwsIdentity | None
    buckets: FixedBuckets | None

    def __repr__(self) -> str:
        return f"S3StagingTarget({self.props.get('bucketName')}, run {self.execution_id})"

    def writer(self, split: int, attempt: str, node: str = "") -> S3PartWriter:
        """A writer for one attempt at split `split` (see the module docstring)."""
        context = RunContext(flow_name=self.flow_name, execution_id=self.execution_id,
                             schema_version=self.schema_version, started_at=self.started_at,
                             data_dir=self.data_dir, batch_size=self.batch_size, aws=self.aws,
                             buckets=self.buckets)
        names = f"ray-{split:05d}-{attempt}"
        return S3PartWriter(S3Destination(None, self.props, context, staged_names=names), split, attempt, node)


class S3PartWriter:
    """One attempt's staged part files (`PartWriter`)."""

    def __init__(self, destination: S3Destination, split: int, attempt: str, node: str) -> None:
        self.destination, self.split, self.attempt, self.node = destination, split, attempt, node

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        """Stage one batch, as `S3Destination.write`."""
        self.destination.write(batch, partition)

    def close(self) -> StagedParts:
        """Close every part file; the manifest entry, parts in part-number order."""
        destination = self.destination
        with destination.storage.errors(destination.storage.location(destination.bucket, destination.staging)):
            for lane in destination._lanes:
                lane.close_all()
        files = sorted(destination._closed, key=lambda output: output.sequence)
        parts = [StagedPart(output.key, output.rows, output.size, getattr(output, "values", ())) for output in files]
        return StagedParts(self.split, self.attempt, self.node, parts, destination._schema,
                           list(destination._partitions))

    def discard(self) -> None:
        """Drop this attempt's part files, open or closed (a canceled or failed split)."""
        destination = self.destination
        keys = [output.key for output in destination._closed]
        keys += [output.key for lane in destination._lanes for output in lane.open_files.values()]
        for lane in destination._lanes:
            lane.discard()
        with destination.storage.errors(destination.storage.location(destination.bucket, destination.staging)):
            destination.storage.delete_many(destination.bucket, keys)


class S3RemoteStaging:
    """The coordinator's side: the target, and adoption into the run's `S3Destination`."""

    def __init__(self, destination: S3Destination) -> None:
        self.destination = destination
        ctx = destination.ctx
        self.target = S3StagingTarget(
            props=dict(destination.props), flow_name=ctx.flow_name, execution_id=ctx.execution_id,
            schema_version=ctx.schema_version, started_at=ctx.started_at, data_dir=ctx.data_dir,
            batch_size=ctx.batch_size, aws=ctx.aws,
            buckets=FixedBuckets.of(ctx.buckets, {destination.bucket}))

    def adopt(self, parts: StagedParts) -> None:
        """Add a kept split's parts to the publish manifest (final keys in adoption order)."""
        destination = self.destination
        staging = destination.staging
        for values in parts.partitions:
            destination._partitions.setdefault(values)  # partitions listed in first-written order
        for part in parts.parts:
            if not part.key.startswith(staging):  # only this run's own staging area is ever published
                raise ValueError(f"a staged part outside the run's staging prefix: {part.key!r}")
            destination.adopt_part(part.key, part.partition, parts.schema, part.rows, part.size)
        if parts.schema is not None and destination._schema is None:
            destination._schema = parts.schema
