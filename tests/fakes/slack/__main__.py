"""`python -m tests.fakes.slack --port N --channels 10 --messages 10000`: serve a fake workspace in the foreground."""

from __future__ import annotations

import argparse
import time

from tests.fakes.common.https import RequestLog, serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import SlackState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, seed the workspace and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.slack", description=__doc__)
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--messages", type=int, default=100, help="seeded top-level messages per conversation")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tiers", action="store_true", help="enforce Slack's per-method rate-limit tiers")
    parser.add_argument("--token", help="also accept this bot token (does not expire), for scripted clients")
    args = parser.parse_args(argv)
    started = time.monotonic()
    state = SlackState(args.channels, args.messages, args.users, seed=args.seed, tiers=args.tiers)
    token = state.auth.issue_token(token=args.token) if args.token else state.token()
    print(f"fake Slack: ready in {time.monotonic() - started:.1f}s; serving https://127.0.0.1:{args.port}/api/ "
          f"(token {token}, client_id {state.auth.client_id}; trust CA {certificates().ca_file})", flush=True)
    serve_forever(build_app(state, RequestLog()), args.port)


if __name__ == "__main__":
    main()
