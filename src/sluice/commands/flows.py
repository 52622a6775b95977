"""`sluice flows list|show|start` (CLI layer): a flow as a person wants to read it.

`show` computes a scheduled flow's next firing with the scheduler's own maths
(`sluice.scheduler.triggers.next_fire_epoch`), so it says what the server will do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from sluice.commands.api_client import Api
from sluice.commands.display import duration, epoch, short, size, table, when
from sluice.commands.progress import follow
from sluice.scheduler import triggers


def list_flows(api: Api, args: argparse.Namespace) -> int:
    """Every flow: name, status, trigger, source -> destination, last run."""
    rows = []
    for flow in _all_flows(api):
        last = flow.get("lastRunExecutionDetails") or {}
        rows.append([
            flow["flowName"], flow.get("flowStatus"), flow.get("triggerType"),
            f"{_connector(flow, 'source')} → {_connector(flow, 'destination')}",
            last.get("mostRecentExecutionStatus"), when(last.get("mostRecentExecutionTime")),
        ])
    if not rows:
        print("no flows")
        return 0
    print(table(["NAME", "STATUS", "TRIGGER", "SOURCE → DESTINATION", "LAST RUN", "AT"], sorted(rows)))
    return 0


def _all_flows(api: Api) -> list[dict[str, Any]]:
    """ListFlows, every page (botocore has no paginator for it)."""
    params: dict[str, Any] = {"maxResults": 100}
    found: list[dict[str, Any]] = []
    while True:
        page = api.appflow.list_flows(**params)
        found += page.get("flows", [])
        if not page.get("nextToken"):
            return found
        params["nextToken"] = page["nextToken"]


def _connector(flow: dict[str, Any], side: str) -> str:
    return str(flow.get(f"{side}ConnectorLabel") or flow.get(f"{side}ConnectorType") or "-")


def show_flow(api: Api, args: argparse.Namespace) -> int:
    """One flow: configuration, schedule and next firing, tasks as a table, tags, last run."""
    flow = api.appflow.describe_flow(flowName=args.name)
    source = flow.get("sourceFlowConfig") or {}
    lines = [
        ("Flow", flow["flowName"]), ("ARN", flow.get("flowArn")), ("Description", flow.get("description")),
        ("Status", " - ".join(filter(None, (flow.get("flowStatus"), flow.get("flowStatusMessage"))))),
        ("Trigger", _trigger(flow.get("triggerConfig") or {})),
    ]
    schedule = _schedule_note(flow)
    if schedule:
        lines.append(("Next run", schedule))
    lines.append(("Source", _endpoint(source, "sourceConnectorProperties")))
    if source.get("incrementalPullConfig"):
        lines.append(("Incremental on", source["incrementalPullConfig"].get("datetimeTypeFieldName")))
    for destination in flow.get("destinationFlowConfigList") or []:
        lines.append(("Destination", _endpoint(destination, "destinationConnectorProperties")))
    last = flow.get("lastRunExecutionDetails") or {}
    if last:
        said = last.get("mostRecentExecutionMessage")
        message = f" - {short(said, 120)}" if said else ""
        lines.append(("Last run", f"{last.get('mostRecentExecutionStatus')} at "
                                  f"{when(last.get('mostRecentExecutionTime'))}{message}"))
    lines += [("Created", when(flow.get("createdAt"))), ("Updated", when(flow.get("lastUpdatedAt")))]
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value if value not in (None, '') else '-'}")
    tasks = flow.get("tasks") or []
    print(f"\nTasks ({len(tasks)})")
    print(table(["#", "TYPE", "SOURCE FIELDS", "OPERATOR", "DESTINATION", "PROPERTIES"],
                [[i, t.get("taskType"), ", ".join(t.get("sourceFields") or []) or "-", _operator(t),
                  t.get("destinationField"), _properties(t)] for i, t in enumerate(tasks, 1)], indent="  "))
    tags = flow.get("tags") or {}
    print(f"\nTags ({len(tags)})")
    for key, value in sorted(tags.items()):
        print(f"  {key} = {value}")
    return 0


def _trigger(trigger: dict[str, Any]) -> str:
    kind = str(trigger.get("triggerType"))
    scheduled = triggers.scheduled_properties(trigger)
    if not scheduled:
        return kind
    parts = [f"{kind}: {scheduled.get('scheduleExpression')}", f"timezone {scheduled.get('timezone') or 'UTC'}",
             f"{scheduled.get('dataPullMode') or 'Incremental'} pulls"]
    for key, label in (("scheduleStartTime", "from"), ("scheduleEndTime", "until")):
        if scheduled.get(key):
            parts.append(f"{label} {when(scheduled[key])}")
    if scheduled.get("scheduleOffset"):
        parts.append(f"offset {scheduled['scheduleOffset']}s")
    return ", ".join(parts)


def _schedule_note(flow: dict[str, Any], now: float | None = None) -> str | None:
    """When a scheduled flow fires next, or why it does not (Draft needs StartFlow first)."""
    scheduled = {k: epoch(v) if k.endswith("Time") else v
                 for k, v in triggers.scheduled_properties(flow.get("triggerConfig") or {}).items()}
    if not scheduled.get("scheduleExpression"):
        return None
    now = time.time() if now is None else now
    status = flow.get("flowStatus")
    # A rate schedule with no scheduleStartTime counts from activation (StartFlow), which also
    # stamps lastUpdatedAt; a Draft flow would count from the moment it is started.
    activated = epoch(flow.get("lastUpdatedAt")) if status == "Active" else now
    try:
        fire = triggers.next_fire_epoch(scheduled, activated or now, now)
    except ValueError as exc:
        return f"cannot be computed: {exc}"
    at = "never: the schedule has ended" if fire is None else f"{when(fire)} (in {duration(fire - now)})"
    if status == "Active":
        return at
    if status == "Draft":
        return (f"none - the flow is Draft: run `sluice flows start {flow['flowName']}` (StartFlow) "
                f"to activate its schedule; started now it would fire first at {at}")
    return f"none - the flow is {status}; `sluice flows start {flow['flowName']}` reactivates it"


def _endpoint(config: dict[str, Any], key: str) -> str:
    kind = str(config.get("connectorType"))
    properties: dict[str, Any] = (config.get(key) or {}).get(kind) or next(iter((config.get(key) or {}).values()), {})
    where = ""
    if properties.get("bucketName"):
        where = f"{properties['bucketName']}/{properties.get('bucketPrefix') or ''}"
    elif properties.get("object") or properties.get("entityName"):
        where = str(properties.get("object") or properties.get("entityName"))
    else:
        where = json.dumps(properties, default=str) if properties else ""
    profile = f" (profile {config['connectorProfileName']})" if config.get("connectorProfileName") else ""
    return f"{kind} {where}".strip() + profile


def _operator(task: dict[str, Any]) -> str:
    return ", ".join(f"{v}" for v in (task.get("connectorOperator") or {}).values()) or "-"


def _properties(task: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((task.get("taskProperties") or {}).items())) or "-"


def start_flow(api: Api, args: argparse.Namespace) -> int:
    """StartFlow; with --wait, follow an on-demand run to its end (exit 1 unless Successful)."""
    answer = api.appflow.start_flow(flowName=args.name)
    execution_id = answer.get("executionId")
    if not execution_id:
        print(f"flow {args.name} is {answer.get('flowStatus')}: it now runs on its trigger")
        if args.wait:
            print("(--wait follows on-demand runs only; see `sluice runs list` for this flow's runs)")
        return 0
    print(f"started {args.name}: execution {execution_id}")
    if not args.wait:
        return 0
    record = follow(api, args.name, execution_id, interval=args.interval)
    result = record.get("executionResult") or {}
    status = record.get("executionStatus")
    seconds = (epoch(record.get("lastUpdatedAt")) or 0) - (epoch(record.get("startedAt")) or 0)
    print(f"{status}: {int(result.get('recordsProcessed') or 0):,} records, "
          f"{size(result.get('bytesProcessed'))} in {duration(seconds)}")
    if status == "Successful":
        return 0
    message = ((result.get("errorInfo") or {}).get("executionMessage")) or f"the run ended {status}"
    print(f"error: {message}", file=sys.stderr)
    return 1

