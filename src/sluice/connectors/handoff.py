"""Handing work between threads through bounded queues (connectors layer, used by the engine too)."""

from __future__ import annotations

import queue
import threading
from typing import Any


def put_unless_stopped(out: queue.Queue[Any], message: Any, stop: threading.Event) -> bool:
    """Put `message` on `out`, waiting for room; False (and not put) once `stop` is set.

    A producer thread must never block for ever on a full queue whose consumer has gone away
    (a canceled or failed run), so it waits in short steps and checks `stop` between them.
    """
    while not stop.is_set():
        try:
            out.put(message, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
