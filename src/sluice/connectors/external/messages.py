"""The Airbyte and Singer wire messages, parsed into a few plain events (connectors layer).

Airbyte (https://docs.airbyte.com/understanding-airbyte/airbyte-protocol): one `AirbyteMessage`
JSON object per stdout line, its `type` one of RECORD (`record.stream`, `record.data`), STATE
(`state`: `{"type": "STREAM", "stream": {"stream_descriptor": ..., "stream_state": ...}}`,
`{"type": "GLOBAL", "global": ...}` or the legacy `{"data": ...}`), LOG (`log.level`,
`log.message`), TRACE (`trace.type` ERROR with `trace.error.message`; STREAM_STATUS, ESTIMATE
and ANALYTICS are informational), CONNECTION_STATUS, CATALOG, SPEC and CONTROL.

Singer (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md): SCHEMA (`stream`,
`schema`, `key_properties`), RECORD (`stream`, `record`) and STATE (`value`) messages, one JSON
object a line; ACTIVATE_VERSION and BATCH are not used here.

`airbyte_event` / `singer_event` turn one message into a `Record`, `State`, `Log`, `Failure` or
None (nothing Sluice acts on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Record:
    stream: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class State:
    """A state checkpoint: `payload` is the Airbyte `state` object or the Singer `value`."""

    payload: Any
    kind: str = "LEGACY"  # STREAM, GLOBAL or LEGACY (Airbyte); SINGER
    stream: str | None = None


@dataclass(frozen=True, slots=True)
class Log:
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class Failure:
    """The connector said it failed (an Airbyte TRACE error)."""

    message: str
    failure_type: str = ""


@dataclass(frozen=True, slots=True)
class Schema:
    """A Singer SCHEMA message."""

    stream: str
    schema: Mapping[str, Any]
    key_properties: tuple[str, ...] = field(default_factory=tuple)


Event = Record | State | Log | Failure | Schema


def airbyte_event(message: Mapping[str, Any]) -> Event | None:
    """The event of one AirbyteMessage."""
    kind = message.get("type")
    if kind == "RECORD":
        record = message.get("record") or {}
        data = record.get("data")
        return Record(str(record.get("stream") or ""), data if isinstance(data, Mapping) else {})
    if kind == "STATE":
        state = message.get("state") or {}
        state_type = str(state.get("type") or ("LEGACY" if "data" in state else "STREAM")).upper()
        stream = None
        if state_type == "STREAM":
            descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
            stream = descriptor.get("name")
        return State(state, state_type, stream)
    if kind == "LOG":
        log = message.get("log") or {}
        return Log(str(log.get("level") or "INFO"), str(log.get("message") or ""))
    if kind == "TRACE":
        trace = message.get("trace") or {}
        if trace.get("type") == "ERROR":
            error = trace.get("error") or {}
            text = str(error.get("message") or error.get("internal_message") or "the connector reported an error")
            internal = str(error.get("internal_message") or "")
            if internal and internal not in text:  # often the vendor's own words (status, error message)
                text = f"{text} ({internal})"
            return Failure(text[:1500], str(error.get("failure_type") or ""))
    return None


def singer_event(message: Mapping[str, Any]) -> Event | None:
    """The event of one Singer message."""
    kind = message.get("type")
    if kind == "RECORD":
        record = message.get("record")
        return Record(str(message.get("stream") or ""), record if isinstance(record, Mapping) else {})
    if kind == "STATE":
        return State(message.get("value"), "SINGER")
    if kind == "SCHEMA":
        keys = message.get("key_properties") or []
        return Schema(str(message.get("stream") or ""), message.get("schema") or {}, tuple(str(k) for k in keys))
    return None


def state_argument(states: list[State]) -> Any:
    """What `read --state` takes from a run's stored checkpoints (Airbyte).

    Per-stream states: the list of the latest state of each stream; a global state: the list of
    the last one; legacy: the last `data` object.
    """
    if not states:
        return None
    last = states[-1]
    if last.kind == "LEGACY":
        return last.payload.get("data") if isinstance(last.payload, Mapping) else last.payload
    if last.kind == "GLOBAL":
        return [last.payload]
    latest: dict[str | None, Any] = {}
    for state in states:
        if state.kind == "STREAM":
            latest[state.stream] = state.payload
    return list(latest.values())
