"""The Amplitude export reader's pure parts: which hours a run asks for, in which slices, and reading a
spooled archive member by member, line by line."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from sluice.connectors.amplitude import export
from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.entities import Condition, Query


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_hours_come_from_the_filter_and_the_window_narrowed_together() -> None:
    query = Query("events", conditions=(Condition("server_upload_time", "BETWEEN",
                                                  ("2024-03-01T00:00:00Z", "2024-03-05T00:00:00Z")),),
                  window_field="server_upload_time", window_start=at("2024-03-02T10:30:00"),
                  window_end=at("2024-03-03T04:10:00"))
    first, last = export.hours_of(query)
    assert (export.hour_text(first), export.hour_text(last)) == ("20240302T10", "20240303T04")


def test_without_a_range_the_last_365_days_are_read() -> None:
    first, last = export.hours_of(Query("events", window_field="server_upload_time",
                                        window_end=at("2024-03-03T04:10:00")))
    assert (last - first).days == 365 and export.hour_text(last) == "20240303T04"


def test_slices_cover_the_hours_once_each() -> None:
    first, last = datetime(2024, 3, 1, 0, tzinfo=UTC), datetime(2024, 3, 3, 5, tzinfo=UTC)
    parts = list(export.slices(first, last, 24))
    assert [(export.hour_text(a), export.hour_text(b)) for a, b in parts] == [
        ("20240301T00", "20240301T23"), ("20240302T00", "20240302T23"), ("20240303T00", "20240303T05")]


def archive(members: dict[str, list[dict]]) -> io.BytesIO:
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as zipped:
        for name, events in members.items():
            zipped.writestr(name, gzip.compress(b"\n".join(orjson.dumps(e) for e in events) + b"\n\n"))
    return body


def test_events_are_read_member_by_member_in_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "PAGE", 3)
    spool = archive({"1/1_2024-03-01_1#0.json.gz": [{"n": i} for i in range(4)],
                     "1/1_2024-03-01_0#0.json.gz": [{"n": 10 + i, "ü": "✓"} for i in range(2)]})
    pages = list(export.events_in(spool))
    assert [len(p.records) for p in pages] == [3, 3]  # pages span members; the blank line is skipped
    assert sorted(r["n"] for p in pages for r in p.records) == [0, 1, 2, 3, 10, 11]


def test_a_broken_archive_is_a_server_error() -> None:
    with pytest.raises(ConnectorError) as refused:
        list(export.events_in(io.BytesIO(b"<html>not a zip</html>")))
    assert refused.value.code == "ServerError"
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zipped:
        zipped.writestr("x.json.gz", b"not gzip")
    with pytest.raises(ConnectorError) as unreadable:
        list(export.events_in(bad))
    assert "x.json.gz" in unreadable.value.message


def test_only_a_too_large_400_is_split() -> None:
    assert export._too_large("The file size of the exported data is too large. The limit size is 4GB.")
    assert not export._too_large("Invalid start/end parameter: use YYYYMMDDTHH")


def test_memory_stays_flat_whatever_the_export_size(tmp_path: Any) -> None:
    """The reader's peak allocation is set by its page, not by the archive: four times the events, the same peak."""
    import tracemalloc

    event = {"event_type": "Purchase", "event_properties": {"items": [{"sku": "x" * 40}] * 5}, "user_id": "ü" * 30}

    def peak(hours: int) -> int:
        path = tmp_path / f"{hours}.zip"
        with zipfile.ZipFile(path, "w") as zipped:
            for hour in range(hours):
                zipped.writestr(f"1/1_2024-03-01_{hour}#0.json.gz",
                                gzip.compress(b"\n".join(orjson.dumps(event) for _ in range(2500)), 1))
        with path.open("rb") as spool:
            tracemalloc.start()
            try:
                assert sum(len(p.records) for p in export.events_in(spool)) == hours * 2500
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    small, large = peak(2), peak(8)
    assert large < small * 1.3
