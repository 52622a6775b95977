"""A run reading one stream of an external connector (connectors layer, Airbyte/Singer runner).

The stream named by the flow's `entityName` is read by one connector process (`read` /
`--catalog`): full refresh for OnDemand and complete flows, the stream's incremental sync mode with
its default cursor for Scheduled incremental flows (window set), starting from the state the last
successful run left (`state.py`). Records are converted to Arrow batches of `batch_size` rows as
stdout streams in, so memory stays bounded by one batch. The last STATE message (or, when the run
emitted none, the state it started from) is stored under the run's window end only once the
process exited 0 with no TRACE error. A TRACE error or a non-zero
exit raises a ConnectorError quoting the connector (secrets redacted): the run ends Error and its
staged output is dropped. LOG lines at WARN and above go to the run's log (their first line), redacted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext, report
from sluice.connectors.external.fields import fields_of
from sluice.connectors.external.messages import Log, Record, State, state_argument
from sluice.connectors.external.state import stored_states
from sluice.connectors.rest.records import RecordConverter

if TYPE_CHECKING:
    from sluice.connectors.external.connector import ExternalConnector

_LOUD = {"WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"}


class ExternalSource:
    """Reads one stream of an Airbyte source or Singer tap as Arrow batches."""

    def __init__(self, connector: ExternalConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext) -> None:
        self.connector = connector
        self.profile = profile
        self.entity = str(props.get("entityName") or "")
        if not self.entity:
            raise ConnectorError("InvalidArgument", "The flow names no entityName (the stream to read).")
        self.ctx = ctx
        self.stats = ReadStats()

    def read(self) -> Iterator[pa.RecordBatch]:
        ctx = self.ctx
        config, secrets = self.connector.config_for(self.profile)
        stream = self.connector.stream(self.profile, self.entity)
        incremental = ctx.window_end is not None and stream.incremental
        stored = stored_states(ctx, self.connector.label.label, stream.name)
        state = stored.get(ctx.window_start) if incremental else None
        mode = ("incremental from the stored state" if state is not None else "incremental") if incremental \
            else "full refresh"
        report(ctx, "source_opened", f"reading stream {stream.name} of {self.connector.installed.package} "
               f"{self.connector.installed.version} ({mode})")
        converter = RecordConverter(fields_of(stream))
        runner = self.connector.runner(
            secrets, lambda refused: report(ctx, "warning", f"the egress proxy refused {refused}", "warning"))
        states: list[State] = []
        pending: list[Mapping[str, Any]] = []
        for event in runner.read(config, stream, incremental, state, ctx.should_stop):
            if isinstance(event, Record):
                if event.stream == stream.name:
                    pending.append(event.data)
                    if len(pending) >= ctx.batch_size:
                        yield self._batch(converter, pending)
                        pending = []
            elif isinstance(event, State):
                states.append(event)
            elif isinstance(event, Log) and event.level.upper() in _LOUD:
                # The first line only: connectors append their Python tracebacks to error logs.
                first = event.message.strip().splitlines()[0] if event.message.strip() else ""
                report(ctx, "warning", f"{stream.name}: {first[:500]}", "warning")
        if ctx.should_stop():
            return
        if pending:
            yield self._batch(converter, pending)
        if incremental and ctx.window_end is not None:
            # A run that emitted no STATE (nothing new) carries the state it started from forward:
            # the next window starts at this one's end and must find it there.
            payload = state
            if states:
                payload = state_argument(states) if self.connector.label.protocol == "airbyte" else states[-1].payload
            if payload is not None:
                stored.put(ctx.window_end, payload, ctx.window_start)

    def _batch(self, converter: RecordConverter, records: list[Mapping[str, Any]]) -> pa.RecordBatch:
        batch = converter.batch(records)
        self.stats.records_read += batch.num_rows
        self.stats.pages_read += 1
        self.stats.bytes_read += batch.nbytes
        self.stats.max_page_size = max(self.stats.max_page_size, batch.num_rows)
        return batch
