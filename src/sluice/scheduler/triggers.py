"""From a flow's stored trigger to its schedule (scheduler layer).

`spec_for` turns AppFlow's `ScheduledTriggerProperties` (timestamps stored as epoch seconds)
into a `ScheduleSpec`; a rate schedule is anchored at `scheduleStartTime`, or at the moment the
flow was activated when none is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sluice.scheduler.schedule import ScheduleSpec, next_fire


def _aware(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), tz=UTC)


def scheduled_properties(trigger: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `Scheduled` member of a trigger's properties (empty for other triggers)."""
    return (trigger.get("triggerProperties") or {}).get("Scheduled") or {}


def spec_for(scheduled: Mapping[str, Any], activated_at: float) -> ScheduleSpec:
    """The schedule of a flow activated at `activated_at`; ValueError when it cannot be built."""
    start = _aware(scheduled.get("scheduleStartTime")) or _aware(activated_at)
    return ScheduleSpec(
        expression=scheduled["scheduleExpression"],
        start=start,
        end=_aware(scheduled.get("scheduleEndTime")),
        timezone=scheduled.get("timezone") or "UTC",
        offset_seconds=int(scheduled.get("scheduleOffset") or 0),
    )


def next_fire_epoch(scheduled: Mapping[str, Any], activated_at: float, after: float) -> float | None:
    """When the flow fires next after `after` (epoch seconds), or None when it never will again."""
    fire = next_fire(spec_for(scheduled, activated_at), datetime.fromtimestamp(after, tz=UTC))
    return None if fire is None else fire.timestamp()


def is_incremental(scheduled: Mapping[str, Any]) -> bool:
    """AppFlow's default data pull mode for a scheduled flow is Incremental."""
    return (scheduled.get("dataPullMode") or "Incremental") == "Incremental"
