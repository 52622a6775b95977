"""Airbyte and Singer messages as events (connectors/external/messages.py)."""

from __future__ import annotations

from sluice.connectors.external.messages import (
    Failure,
    Log,
    Record,
    Schema,
    State,
    airbyte_event,
    singer_event,
    state_argument,
)


def test_airbyte_records_logs_and_unknown_messages() -> None:
    assert airbyte_event({"type": "RECORD", "record": {"stream": "users", "data": {"id": 1}, "emitted_at": 1}}) == \
        Record("users", {"id": 1})
    assert airbyte_event({"type": "LOG", "log": {"level": "WARN", "message": "slow"}}) == Log("WARN", "slow")
    assert airbyte_event({"type": "TRACE", "trace": {"type": "STREAM_STATUS"}}) is None
    assert airbyte_event({"type": "CONTROL"}) is None


def test_a_trace_error_keeps_the_vendors_words_from_the_internal_message() -> None:
    event = airbyte_event({"type": "TRACE", "trace": {"type": "ERROR", "error": {
        "message": "Bad request.", "internal_message": "status 400: The desk is closed",
        "failure_type": "system_error"}}})
    assert event == Failure("Bad request. (status 400: The desk is closed)", "system_error")


def test_state_kinds_and_the_state_argument_of_the_next_read() -> None:
    first = airbyte_event({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "a"}, "stream_state": {"c": 1}}}})
    other = airbyte_event({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "b"}, "stream_state": {"c": 5}}}})
    second = airbyte_event({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "a"}, "stream_state": {"c": 2}}}})
    assert isinstance(first, State) and first.kind == "STREAM" and first.stream == "a"
    assert isinstance(other, State) and isinstance(second, State)
    streams = state_argument([first, other, second])
    assert [s["stream"]["stream_state"] for s in streams] == [{"c": 2}, {"c": 5}]  # the latest of each stream

    glob = airbyte_event({"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"x": 1}}}})
    assert isinstance(glob, State) and state_argument([glob]) == [glob.payload]
    legacy = airbyte_event({"type": "STATE", "state": {"data": {"users": {"updated_at": "2024"}}}})
    assert isinstance(legacy, State) and legacy.kind == "LEGACY"
    assert state_argument([legacy]) == {"users": {"updated_at": "2024"}}
    assert state_argument([]) is None


def test_singer_schema_record_and_state() -> None:
    assert singer_event({"type": "SCHEMA", "stream": "t", "schema": {"type": "object"}, "key_properties": ["id"]}) == \
        Schema("t", {"type": "object"}, ("id",))
    assert singer_event({"type": "RECORD", "stream": "t", "record": {"id": 1}}) == Record("t", {"id": 1})
    assert singer_event({"type": "STATE", "value": {"bookmarks": {}}}) == State({"bookmarks": {}}, "SINGER")
    assert singer_event({"type": "ACTIVATE_VERSION", "stream": "t", "version": 1}) is None
