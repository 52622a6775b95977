"""Amazon EventBridge as a flow destination (connectors layer): one event per record, `PutEvents`.

`EventBridgeDestination(profile, props, ctx)` implements `EventBridgeDestinationProperties`:

* `object` names the partner event source; its event bus carries the same name (EventBridge
  names a partner event bus after its source), so each record becomes one `PutEvents` entry
  `{"EventBusName": object, "Source": object, "DetailType": <flow name>, "Detail": <record JSON>}`.
  AppFlow's docs do not publish the envelope of the events it forwards; this is Sluice's choice:
  a partner event's `source` is its partner event source's name, and the flow name lets one rule
  tell several flows on one bus apart (cut to DetailType's 128 characters). `Time` is left out
  (EventBridge stamps the receive time) and so are `Resources`.
  Real EventBridge refuses `aws.*` sources from anyone but AWS and its partners: against it, name
  a custom bus (e.g. `sluice-salesforce`); those entries otherwise come back refused
  (`NotAuthorizedForSourceException`) and go to the error bucket like any other refusal.
* Batches hold at most 10 entries whose sizes add up to at most 256 KB, sizes computed as
  EventBridge computes them (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html:
  UTF-8 bytes of Source, DetailType, Detail and each Resource, 14 bytes for Time). A record
  whose entry alone is over 256 KB is refused before sending (`EntryTooLarge`), per
  `errorHandlingConfig`.
* Failed entries (`FailedEntryCount`, each entry's `ErrorCode`/`ErrorMessage`) are counted
  (`putFailuresCount`) and written to the error bucket (`error_records.ErrorSink`); entries
  refused as throttled or as an internal failure are sent again, at most `ENTRY_ATTEMPTS` times
  with a growing pause, and then refused. Whole-call throttling and 5xx answers are retried by
  botocore's standard mode (`aws_calls`).

The run is spooled first and sent at commit (`SpooledDestination`): events cannot be recalled,
so a run that fails while reading puts nothing on the bus.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pyarrow as pa

from sluice.connectors import aws_calls
from sluice.connectors.base import ConnectorError, ProfileView, RunContext, report
from sluice.connectors.error_records import ErrorSink, record_json
from sluice.connectors.spool import spool_cleanup
from sluice.connectors.spooled_destination import CommitProgress, SpooledDestination

MAX_ENTRIES = 10  # PutEvents: at most 10 entries per call
MAX_BYTES = 256 * 1024  # PutEvents: an entry, and all entries of a call together
TIME_BYTES = 14  # what a Time member counts, whatever its value
MAX_DETAIL_TYPE = 128
ENTRY_ATTEMPTS = 4  # sends of one entry EventBridge refused as throttled / internal failure
RETRYABLE = {"ThrottlingException", "InternalFailure", "InternalException"}
SPOOL_PREFIX = "eventbridge"


def entry_size(entry: Mapping[str, Any]) -> int:
    """The size EventBridge counts for one `PutEventsRequestEntry` (see the module docstring)."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    size += len(str(entry["Source"]).encode()) + len(str(entry["DetailType"]).encode())
    if entry.get("Detail") is not None:
        size += len(str(entry["Detail"]).encode())
    for resource in entry.get("Resources") or ():
        size += len(str(resource).encode())
    return size


def batches(entries: Iterator[tuple[dict[str, Any], dict[str, Any], int]]
            ) -> Iterator[list[tuple[dict[str, Any], dict[str, Any], int]]]:
    """(record, entry, size) triples grouped into PutEvents calls: <= 10 entries, <= 256 KB in all."""
    batch: list[tuple[dict[str, Any], dict[str, Any], int]] = []
    total = 0
    for item in entries:
        if batch and (len(batch) == MAX_ENTRIES or total + item[2] > MAX_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item[2]
    if batch:
        yield batch


# `ConnectorSpec.cleanup_destination`: delete what a (killed) run spooled; nothing there is fine.
cleanup_staging = spool_cleanup(SPOOL_PREFIX)


class EventBridgeDestination(SpooledDestination[CommitProgress]):
    """`base.Destination` putting one EventBridge event per record on the flow's partner event bus."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext, *,
                 client: Any = None, sink: ErrorSink | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.bus = str(props.get("object") or "").strip()
        if not self.bus:
            raise ConnectorError("InvalidArgument", "EventBridgeDestinationProperties.object is required")
        self.detail_type = ctx.flow_name[:MAX_DETAIL_TYPE]
        super().__init__(ctx, sink or ErrorSink(props.get("errorHandlingConfig"), ctx), SPOOL_PREFIX,
                         f"the EventBridge bus {self.bus}")
        self._client = client
        self._sleep = sleep
        self.calls = 0  # PutEvents calls made (the run log reports them)
        self.oversize = 0  # records refused before sending: their entry is over 256 KB

    @property
    def client(self) -> Any:
        """The `events` client (opened at commit: spooling needs no connection)."""
        if self._client is None:
            self._client = aws_calls.client(self.ctx.aws, self.ctx.region, "events")
        return self._client

    def _check_columns(self, schema: pa.Schema) -> None:
        """Any record can become an event: nothing is required."""

    def _progress(self) -> CommitProgress:
        return CommitProgress()

    def _entries(self) -> Iterator[tuple[dict[str, Any], dict[str, Any], int]]:
        for batch in self.spool.batches():
            for record in batch.to_pylist():
                entry = {"EventBusName": self.bus, "Source": self.bus, "DetailType": self.detail_type,
                         "Detail": record_json(record)}
                yield record, entry, entry_size(entry)

    def _send(self, progress: CommitProgress) -> bool:
        for items in batches(self._fitting(self._entries(), progress)):
            if self.ctx.should_stop():
                raise ConnectorError("ServerError", "the run was canceled while events were being put on "
                                     f"{self.target}")
            self._put(items, progress)
            if self.sink.fail_fast and progress.failed:
                return True
        if self.calls:
            report(self.ctx, "page", f"{self.calls} PutEvents call(s) to {self.bus}; {progress.written} event(s) "
                   f"accepted, {progress.failed} refused"
                   + (f" ({self.oversize} over 256 KB)" if self.oversize else ""))
        if progress.failed:
            report(self.ctx, "warning", f"{self.target}: {self.sink.summary()}", "warning")
        return self.sink.fail_fast and progress.failed > 0

    def _fitting(self, entries: Iterator[tuple[dict[str, Any], dict[str, Any], int]],
                 progress: CommitProgress) -> Iterator[tuple[dict[str, Any], dict[str, Any], int]]:
        """The entries EventBridge can take; a record whose entry is over 256 KB is refused here."""
        for record, entry, size in entries:
            if size <= MAX_BYTES:
                yield record, entry, size
                continue
            progress.failed += 1
            self.oversize += 1
            self.sink.add([record], "EntryTooLarge",
                          f"the event is {size} bytes as EventBridge counts it; PutEvents takes at most {MAX_BYTES}")
            if self.sink.fail_fast:
                return

    def _put(self, items: list[tuple[dict[str, Any], dict[str, Any], int]], progress: CommitProgress) -> None:
        """One PutEvents call; refused entries retried while throttled, then counted and kept."""
        pending = items
        for attempt in range(1, ENTRY_ATTEMPTS + 1):
            try:
                self.calls += 1
                answer = self.client.put_events(Entries=[entry for _, entry, _ in pending])
            except Exception as exc:  # botocore errors: mapped once, in aws_calls
                raise aws_calls.connector_error(exc, f"EventBridge PutEvents to {self.bus}") from exc
            retry: list[tuple[dict[str, Any], dict[str, Any], int]] = []
            for item, result in zip(pending, answer.get("Entries") or [], strict=False):
                code = result.get("ErrorCode")
                if not code:
                    progress.written += 1
                    progress.bytes_sent += item[2]
                    event_id = result.get("EventId")
                    progress.first_id = progress.first_id or event_id
                    progress.last_id = event_id or progress.last_id
                elif code in RETRYABLE and attempt < ENTRY_ATTEMPTS:
                    retry.append(item)
                else:
                    progress.failed += 1
                    self.sink.add([item[0]], str(code), str(result.get("ErrorMessage") or code))
            if not retry:
                return
            report(self.ctx, "retry", f"EventBridge refused {len(retry)} entr(ies) as throttled; sending them again "
                   f"(attempt {attempt + 1} of {ENTRY_ATTEMPTS})", "warning")
            self._sleep(min(8.0, 0.2 * 2 ** (attempt - 1)))
            pending = retry

    def _written(self, progress: CommitProgress, *, stopped: bool) -> str:
        told = "were put on" if stopped else "had already been put on"
        where = (f"the first event id is {progress.first_id} and the last {progress.last_id}" if progress.written
                 else "none was put")
        return f"{progress.written} event(s) {told} {self.target} and cannot be recalled ({where})"


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> EventBridgeDestination:
    """`ConnectorSpec.open_destination` for EventBridge."""
    return EventBridgeDestination(profile, props, ctx)
