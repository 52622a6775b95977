"""The scheduler's clock as connectors see it (connectors layer, shared REST layer).

A scheduled run's incremental window is measured on the scheduler's clock, which the operator may
run faster than real time from an epoch (`SLUICE_SCHEDULER_SPEEDUP` / `SLUICE_SCHEDULER_EPOCH`, as
the tests do). A connector that must wait for a window's end to age at the vendor (Zendesk's
one-minute export lag, Mailchimp's whole-second times) reads that clock here, and divides its wait
by the speed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sluice.settings import number


def scheduler_clock() -> tuple[Callable[[], float], float]:
    """(now, speed) of the scheduler's clock: real time unless the operator sped schedules up."""
    speed = number(os.environ, "SLUICE_SCHEDULER_SPEEDUP", 1.0) or 1.0
    epoch_text = os.environ.get("SLUICE_SCHEDULER_EPOCH")
    if speed == 1.0 or not epoch_text:
        return time.time, 1.0
    epoch = number(os.environ, "SLUICE_SCHEDULER_EPOCH", 0.0)
    return (lambda: epoch + (time.time() - epoch) * speed), speed
