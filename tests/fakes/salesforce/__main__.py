"""`python -m tests.fakes.salesforce --port N --counts Account=1000000`: serve a fake org in the foreground."""

from __future__ import annotations

import argparse
import time

import uvicorn

from .app import build_app
from .org import DEFAULT_COUNTS, Org


def parse_counts(items: list[str]) -> dict[str, int]:
    """`Account=1000` items as {"Account": 1000}; objects not named get no rows."""
    counts = {}
    for item in items:
        name, _, value = item.partition("=")
        counts[name] = int(value)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.salesforce", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--counts", nargs="*", default=None, metavar="OBJECT=N",
                        help=f"rows per object (default {DEFAULT_COUNTS})")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--token", help="also accept this access token (valid 24 h), for scripted clients")
    args = parser.parse_args(argv)
    started = time.monotonic()
    org = Org(parse_counts(args.counts) if args.counts is not None else None, args.seed)
    if args.token:
        org.auth.issue_token(ttl=86400, token=args.token)
    print(f"fake Salesforce: data ready in {time.monotonic() - started:.1f}s; serving http://{args.host}:{args.port}",
          flush=True)
    uvicorn.run(build_app(org), host=args.host, port=args.port, loop="asyncio", log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
