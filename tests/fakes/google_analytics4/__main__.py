"""`python -m tests.fakes.google_analytics4 --port N --events 100000 --days 30`: serve the fake over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .state import Backend


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.google_analytics4", description=__doc__)
    parser.add_argument("--port", type=int, default=8774)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    backend = Backend(args.events, args.days, args.seed)
    print(f"fake Google Analytics 4: serving https://127.0.0.1:{args.port}; client {backend.client_id}, "
          f"refresh token {backend.refresh_token}", flush=True)
    serve_forever(build_app(backend), args.port)


if __name__ == "__main__":
    main()
