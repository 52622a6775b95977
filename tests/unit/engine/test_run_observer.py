"""engine/run_observer.py: event numbering, flush pacing, and what reaches the sink."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sluice.engine.run_observer import RunObserver
from sluice.store.run_events import Event


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_flushes_at_most_once_per_interval_with_the_pending_events() -> None:
    clock = Clock()
    flushed: list[tuple[int, int, dict[str, Any] | None, list[Event]]] = []
    observer = RunObserver("run-1", "flow-1", lambda *a: flushed.append(a), interval=2.0, clock=clock)
    observer.details = lambda: {"recordsProcessed": observer.records}
    observer.event("started", "go")
    assert observer.progress(10, 100) is False  # a batch within the interval: nothing written
    clock.now += 1.9
    assert observer.progress(20, 200) is False
    clock.now += 0.2
    assert observer.progress(30, 300, lambda: "3 batches") is True
    records, size, details, events = flushed[-1]
    assert (records, size, details) == (30, 300, {"recordsProcessed": 30})
    assert [(e.seq, e.kind, e.message) for e in events] == [(1, "started", "go"), (2, "page", "3 batches")]
    assert observer.progress(40, 400) is False  # the interval starts again at each flush
    observer.event("warning", "careful", "warning")
    observer.flush()
    assert [(e.seq, e.level) for e in flushed[-1][3]] == [(3, "warning")]
    assert observer.take_events() == []


def test_without_a_sink_events_are_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    observer = RunObserver("run-2", "flow-2")
    with caplog.at_level(logging.INFO, logger="sluice.run"):
        observer.event("retry", "Salesforce answered 429", "warning")
        observer.event("finished", "Error: boom", "nonsense-level")
    observer.flush()
    assert observer.take_events() == []
    first, second = caplog.records
    assert first.levelno == logging.WARNING and "[retry] Salesforce answered 429" in first.getMessage()
    assert first.fields == {"flowName": "flow-2", "executionId": "run-2", "kind": "retry", "seq": 1}  # type: ignore[attr-defined]
    assert second.levelno == logging.INFO  # an unknown level reads as info


def test_pending_events_stay_bounded_between_flushes() -> None:
    from sluice.store.run_events import HEAD, TAIL

    flushed: list[list[Event]] = []
    observer = RunObserver("run-3", "flow-3", lambda *a: flushed.append(a[3]), interval=1e9)
    total = 5 * (HEAD + TAIL)
    for n in range(total):
        observer.event("file", f"file {n}")
    observer.flush()
    seqs = [e.seq for e in flushed[0]]
    assert seqs[:HEAD] == list(range(1, HEAD + 1))
    assert seqs[-TAIL:] == list(range(total - TAIL + 1, total + 1))
    assert len(seqs) <= 2 * (HEAD + TAIL)
