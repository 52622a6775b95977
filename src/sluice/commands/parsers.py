"""The argument parsers of `sluice flows` and `sluice runs`, and the one place their errors are
turned into a message and an exit code (CLI layer; cli.py only calls `add_parsers`).

Imports nothing heavy: boto3, httpx and rich load when one of these commands runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, argparse.Namespace], int]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `flows` and `runs` to the `sluice` command's sub-parsers."""
    flows = sub.add_parser("flows", help="list, show and start a server's flows (signed with your keys)")
    flows_sub = flows.add_subparsers(dest="action", required=True)
    _client_options(flows_sub.add_parser("list", help="every flow: status, trigger, source → destination, last run"))
    show = _client_options(flows_sub.add_parser("show", help="a flow's configuration, tasks, tags and next run"))
    show.add_argument("name")
    start = _client_options(flows_sub.add_parser("start", help="StartFlow: run an on-demand flow, activate others"))
    start.add_argument("name")
    start.add_argument("--wait", action="store_true", help="follow the run with a progress bar; exit 1 if it fails")
    start.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --wait (default 1)")
    flows.set_defaults(func=_flows)

    runs = sub.add_parser("runs", help="a flow's runs: list, show counts, read logs, cancel")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    listing = _client_options(runs_sub.add_parser("list", help="a flow's runs, newest first"))
    listing.add_argument("flow")
    listing.add_argument("--max", type=int, default=20, help="how many runs (default 20)")
    show_run = _client_options(runs_sub.add_parser("show", help="one run (default: the latest) with per-task counts"))
    show_run.add_argument("flow")
    show_run.add_argument("execution", nargs="?", help="execution id (default: the latest run)")
    logs = _client_options(runs_sub.add_parser("logs", help="a run's log (default: the latest run)"))
    logs.add_argument("flow")
    logs.add_argument("execution", nargs="?", help="execution id (default: the latest run)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until the run has ended")
    logs.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --follow (default 1)")
    cancel = _client_options(runs_sub.add_parser("cancel", help="CancelFlowExecutions (default: every active run)"))
    cancel.add_argument("flow")
    cancel.add_argument("executions", nargs="*", metavar="EXECUTION")
    runs.set_defaults(func=_runs)


def _client_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--endpoint-url", help="server URL (default SLUICE_URL, AWS_ENDPOINT_URL_APPFLOW, "
                                               "AWS_ENDPOINT_URL, else http://127.0.0.1:8080)")
    parser.add_argument("--profile", help="AWS profile holding the account's keys (default: the AWS_* variables)")
    parser.add_argument("--region", help="region (default AWS_DEFAULT_REGION / the profile's, else us-east-1)")
    return parser


def _flows(args: argparse.Namespace) -> int:
    from sluice.commands import flows

    handlers: dict[str, Handler] = {"list": flows.list_flows, "show": flows.show_flow, "start": flows.start_flow}
    return _call(handlers[args.action], args)


def _runs(args: argparse.Namespace) -> int:
    from sluice.commands import runs

    handlers: dict[str, Handler] = {"list": runs.list_runs, "show": runs.show_run, "logs": runs.logs,
                                    "cancel": runs.cancel}
    return _call(handlers[args.action], args)


def _call(handler: Handler, args: argparse.Namespace) -> int:
    """Run `handler` against the server; a refused call or an unreachable server is one error line, exit 1."""
    from botocore.exceptions import BotoCoreError, ClientError

    from sluice.commands.api_client import Api, ApiError

    try:
        api = Api(args.endpoint_url, profile=args.profile, region=args.region)
        return handler(api, args)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BotoCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted (the run goes on; `sluice runs cancel` stops it)", file=sys.stderr)
        return 130
    return 1
