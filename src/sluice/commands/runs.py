"""`sluice runs list|show|logs|cancel` (CLI layer): what a flow's runs did.

`show` adds the per-task counts of GET /sluice/v1/flows/{flow}/executions/{id}; `logs` reads
its `/events` page by page (`--follow` polls with `after=` until the run log says `finished`).
A server without those resources (404) still gets AppFlow's own record printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from sluice.commands.api_client import Api
from sluice.commands.display import duration, epoch, short, size, table, when
from sluice.commands.records import details, events, execution, records


def _seconds(record: dict[str, Any]) -> float | None:
    started, updated = epoch(record.get("startedAt")), epoch(record.get("lastUpdatedAt"))
    return None if started is None or updated is None else updated - started


def _message(record: dict[str, Any]) -> str:
    return str(((record.get("executionResult") or {}).get("errorInfo") or {}).get("executionMessage") or "")


def list_runs(api: Api, args: argparse.Namespace) -> int:
    """The flow's latest runs, newest first."""
    rows = []
    for record in records(api, args.flow):
        result = record.get("executionResult") or {}
        rows.append([record["executionId"], record.get("executionStatus"), when(record.get("startedAt")),
                     duration(_seconds(record)), f"{int(result.get('recordsProcessed') or 0):,}",
                     size(result.get("bytesProcessed")), short(_message(record), 50)])
        if len(rows) >= args.max:
            break
    if not rows:
        print(f"the flow {args.flow} has not run yet")
        return 0
    print(table(["EXECUTION", "STATUS", "STARTED", "DURATION", "RECORDS", "BYTES", "ERROR"], rows))
    return 0


def show_run(api: Api, args: argparse.Namespace) -> int:
    """One run (the latest by default): AppFlow's record, then Sluice's per-task counts when served."""
    record = execution(api, args.flow, args.execution)
    result = record.get("executionResult") or {}
    execution_id = record["executionId"]
    info = [("Flow", args.flow), ("Execution", execution_id), ("Status", record.get("executionStatus")),
            ("Started", when(record.get("startedAt"))), ("Updated", when(record.get("lastUpdatedAt"))),
            ("Duration", duration(_seconds(record))),
            ("Records", f"{int(result.get('recordsProcessed') or 0):,}"),
            ("Bytes", f"{size(result.get('bytesProcessed'))} processed, {size(result.get('bytesWritten'))} written")]
    if record.get("dataPullStartTime") or record.get("dataPullEndTime"):
        window = f"{when(record.get('dataPullStartTime'))} .. {when(record.get('dataPullEndTime'))}"
        info.append(("Data window", window))
    if _message(record):
        info.append(("Error", _message(record)))
    for label, value in info:
        print(f"{label:<11}  {value}")
    found = details(api, args.flow, execution_id)
    if found is None:
        print("\n(no per-task counts: this server does not serve "
              f"/sluice/v1/flows/{args.flow}/executions/{execution_id})")
        return 0
    _print_details(found)
    return 0


def _print_details(found: dict[str, Any]) -> None:
    source = found.get("source") or {}
    if source:
        read = [f"{int(source.get(k) or 0):,} {label}" for k, label in
                (("recordsRead", "records"), ("pagesRead", "pages"), ("filesRead", "files"))]
        print(f"\nSource       {source.get('connectorType')}: {', '.join(read)}, {size(source.get('bytesRead'))} read")
    tasks = found.get("tasks") or []
    if tasks:
        print("\nTasks")
        print(table(
            ["#", "TYPE", "FIELDS", "IN", "OUT", "DROPPED", "REJECTED", "RULES"],
            [[t.get("index"), t.get("taskType"),
              _fields(t),
              t.get("recordsIn"), t.get("recordsOut"), t.get("dropped"), t.get("rejected"),
              ", ".join(f"{rule}={n}" for rule, n in sorted((t.get("rules") or {}).items()))]
             for t in tasks], indent="  "))
    destinations = found.get("destinations") or []
    if destinations:
        print("\nDestinations")
        print(table(["CONNECTOR", "WRITTEN", "FAILED", "BYTES"],
                    [[d.get("connectorType"), d.get("recordsWritten"), d.get("recordsFailed"),
                      size(d.get("bytesWritten"))] for d in destinations], indent="  "))


def _fields(task: dict[str, Any]) -> str:
    into = f" → {task['destinationField']}" if task.get("destinationField") else ""
    return short(", ".join(task.get("sourceFields") or []) + into, 40)


def logs(api: Api, args: argparse.Namespace, sleep: Callable[[float], None] = time.sleep) -> int:
    """Print the run log; with --follow keep polling until the server says the log is finished."""
    execution_id = execution(api, args.flow, args.execution)["executionId"]
    after = 0
    while True:
        page = events(api, args.flow, execution_id, after=after)
        if page is None:
            print(f"error: this server keeps no run logs (GET /sluice/v1/flows/{args.flow}/executions/"
                  f"{execution_id}/events answered 404)", file=sys.stderr)
            return 1
        for event in page.get("events") or []:
            print(f"{when(event.get('time'))}  {str(event.get('level', '')).upper():<7}  "
                  f"{event.get('kind', ''):<12}  {event.get('message', '')}", flush=True)
        moved = int(page.get("nextAfter") or after) != after
        after = int(page.get("nextAfter") or after)
        if moved:
            continue  # more may be waiting: read until a page brings nothing new
        if page.get("finished") or not args.follow:
            return 0
        sleep(args.interval)


def cancel(api: Api, args: argparse.Namespace) -> int:
    """CancelFlowExecutions for the given runs, or every active run of the flow when none is given."""
    params: dict[str, Any] = {"flowName": args.flow}
    if args.executions:
        params["executionIds"] = args.executions
    invalid = api.appflow.cancel_flow_executions(**params).get("invalidExecutions") or []
    asked = args.executions or ["every active run"]
    for execution_id in asked:
        if execution_id not in invalid:
            print(f"cancellation requested: {args.flow} {execution_id}")
    for execution_id in invalid:
        print(f"error: {execution_id} is not a run of {args.flow} that can be cancelled", file=sys.stderr)
    return 1 if invalid else 0
