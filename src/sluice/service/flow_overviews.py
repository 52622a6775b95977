"""The flows list as the console shows it: one row per flow with its next fire time (service layer).

`ListFlows` answers AppFlow's `FlowDefinition`, which has no next fire time and names the
connectors but not what they read or write. The console's list needs both, and a search and
filter over them; this module answers that from the same scoped store, under the caller's
account and region like every other read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.service import catalog
from sluice.service.context import Caller
from sluice.service.flows import get_flow, summary
from sluice.store.models import Flow
from sluice.store.repository import Store

TRIGGER_TYPES = ("OnDemand", "Scheduled", "Event")
FLOW_STATUSES = ("Active", "Draft", "Suspended", "Errored", "Deprecated", "Deleted")


def _destination(config: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for destination in config.get("destinationFlowConfigList") or []:
        kind = str(destination.get("connectorType") or "")
        member = catalog.destination_member(kind)
        props = (destination.get("destinationConnectorProperties") or {}).get(member or "", {}) if member else {}
        where = None
        if "bucketName" in props:
            prefix = (props.get("bucketPrefix") or "").strip("/")
            where = f"{props['bucketName']}/{prefix}" if prefix else props["bucketName"]
        else:
            where = props.get("object") or props.get("entityName") or props.get("objectPath")
        parts.append(f"{kind} {where}" if where else kind)
    return ", ".join(parts)


def _source(config: Mapping[str, Any]) -> str:
    source = config.get("sourceFlowConfig") or {}
    kind = str(source.get("connectorType") or "")
    entity = catalog.source_entity(kind, source.get("sourceConnectorProperties") or {})
    return f"{kind} {entity}" if entity else kind


def overview(flow: Flow) -> dict[str, Any]:
    """One row of the console's flows list: `FlowDefinition` plus where it reads, writes and fires."""
    row = summary(flow)
    trigger = flow.config.get("triggerConfig") or {}
    row.update({
        "source": _source(flow.config),
        "destination": _destination(flow.config),
        "schedule": ((trigger.get("triggerProperties") or {}).get("Scheduled") or {}).get("scheduleExpression"),
        "nextFireAt": flow.next_fire_at,
        "flowStatusMessage": flow.status_message,
        "schemaVersion": flow.schema_version,
    })
    return row


def _matches(row: Mapping[str, Any], words: list[str]) -> bool:
    haystack = " ".join(str(row.get(k) or "") for k in ("flowName", "description", "source", "destination")).lower()
    haystack += " " + " ".join(f"{k}={v}" for k, v in (row.get("tags") or {}).items()).lower()
    return all(word in haystack for word in words)


class FlowOverviews:
    """The console's flows list."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list_flow_overviews(self, caller: Caller, search: str = "", status: str = "",
                            trigger_type: str = "") -> list[dict[str, Any]]:
        """Every flow of the caller's account and region, oldest first, narrowed by a search text
        (words matched in the name, description, source, destination and tags) and by status
        and trigger type ('' for any)."""
        words = search.lower().split()
        with self.store.scoped(caller.account_id, caller.region) as tx:
            rows = [overview(flow) for flow in tx.all_flows()
                    if (not status or flow.status == status)
                    and (not trigger_type or flow.trigger_type == trigger_type)]
        return [row for row in rows if _matches(row, words)]

    def flow_overview(self, caller: Caller, name: str) -> dict[str, Any]:
        """One flow's row (ResourceNotFoundException when the caller's account has no such flow)."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            return overview(get_flow(tx, name))
