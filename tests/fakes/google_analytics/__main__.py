"""`python -m tests.fakes.google_analytics --port N --hours 720 --rows-per-hour 100`: serve the fake over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .backend import Backend


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.google_analytics", description=__doc__)
    parser.add_argument("--port", type=int, default=8773)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--rows-per-hour", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    backend = Backend(args.hours, args.rows_per_hour, args.seed)
    print(f"fake Google Analytics: serving https://127.0.0.1:{args.port}; client {backend.client_id}, "
          f"refresh token {backend.refresh_token}", flush=True)
    serve_forever(build_app(backend), args.port)


if __name__ == "__main__":
    main()
