"""engine/parallel.py: splits on threads come out in split order, failures and cancels reach every
thread, and the work in flight stays bounded whatever the input size."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from sluice.engine import parallel


def read_split(split: int) -> Iterator[list[int]]:
    for index in range(5):
        if split % 3 == 0:
            time.sleep(0.001)  # uneven splits: later ones often finish first
        yield [split, index]


def identity() -> parallel.Transform:
    return lambda batch: parallel.Piece(1, batch)


def split_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sluice-split")]


@pytest.mark.parametrize("degree", [1, 2, 4])
def test_pieces_come_in_split_order(degree: int) -> None:
    halt = threading.Event()
    out = [piece.out for piece in parallel.pieces(read_split, list(range(40)), degree, identity, halt, lambda: False)]
    assert out == [[split, index] for split in range(40) for index in range(5)]
    assert not halt.is_set() and not split_threads()


def test_one_transform_per_thread() -> None:
    made: list[str] = []

    def make() -> parallel.Transform:
        made.append(threading.current_thread().name)
        return lambda batch: parallel.Piece(1, batch)

    list(parallel.pieces(read_split, list(range(30)), 3, make, threading.Event(), lambda: False))
    assert len(made) == len(set(made)) <= 3


def test_a_failing_split_fails_the_stream_and_stops_the_others() -> None:
    def failing(split: int) -> Iterator[int]:
        if split == 7:
            raise ValueError("bad split")
        yield from range(1000)

    halt = threading.Event()
    with pytest.raises(ValueError, match="bad split"):
        for _ in parallel.pieces(failing, list(range(50)), 2, identity, halt, lambda: False):
            pass
    assert halt.is_set() and not split_threads()


def test_a_cancel_reaches_running_splits() -> None:
    reading = threading.Event()
    stop = threading.Event()

    def endless(split: int) -> Iterator[int]:
        while True:
            reading.set()
            yield split

    halt = threading.Event()
    stream = parallel.pieces(endless, list(range(4)), 2, identity, halt, stop.is_set)
    next(stream)
    assert reading.wait(5)
    stop.set()
    list(stream)  # ends once the cancel is seen (a hang here is the failure)
    assert halt.is_set() and not split_threads()


def test_work_in_flight_is_bounded() -> None:
    produced = 0
    lock = threading.Lock()

    def counting(split: int) -> Iterator[int]:
        nonlocal produced
        for index in range(100):
            with lock:
                produced += 1
            yield index

    halt = threading.Event()
    stream = parallel.pieces(counting, list(range(1000)), 2, identity, halt, lambda: False)
    next(stream)
    time.sleep(0.3)  # the writer is slow: workers fill what they may and wait
    with lock:
        waiting = produced
    # At most degree * AHEAD splits in flight, each with QUEUE_DEPTH pieces queued plus one being put.
    assert waiting <= 2 * parallel.AHEAD * (parallel.QUEUE_DEPTH + 1) + 1
    stream.close()
    assert not split_threads()


def test_unordered_pieces_are_every_piece_once() -> None:
    halt = threading.Event()
    out = [piece.out for piece in parallel.pieces(read_split, list(range(40)), 3, identity, halt, lambda: False,
                                                  ordered=False)]
    assert sorted(out) == [[split, index] for split in range(40) for index in range(5)]
    assert not halt.is_set() and not split_threads()


def test_unordered_a_slow_split_does_not_hold_the_others_back() -> None:
    release = threading.Event()

    def slow_first(split: int) -> Iterator[int]:
        if split == 0:
            assert release.wait(10)
        yield split

    halt = threading.Event()
    stream = parallel.pieces(slow_first, list(range(20)), 2, identity, halt, lambda: False, ordered=False)
    # Split 0 holds one thread; the other works through the later splits meanwhile.
    first = [next(stream).out for _ in range(2 * parallel.AHEAD - 1)]
    assert 0 not in first
    release.set()
    assert sorted(first + [piece.out for piece in stream]) == list(range(20))
    assert not split_threads()


def test_unordered_failure_stops_every_thread() -> None:
    def failing(split: int) -> Iterator[int]:
        if split == 5:
            raise ValueError("bad split")
        yield from range(100)

    halt = threading.Event()
    with pytest.raises(ValueError, match="bad split"):
        for _ in parallel.pieces(failing, list(range(50)), 2, identity, halt, lambda: False, ordered=False):
            pass
    assert halt.is_set() and not split_threads()
