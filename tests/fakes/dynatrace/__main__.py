"""`python -m tests.fakes.dynatrace --port N --problems 100000`: serve a fake environment over https."""

from __future__ import annotations

import argparse
import time

from tests.fakes.common.https import serve_forever

from .app import build_app
from .environment import Environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.dynatrace", description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--problems", type=int, default=300)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--entities", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spacing-ms", type=int, default=60_000, help="time between seeded records")
    args = parser.parse_args(argv)
    started = time.monotonic()
    env = Environment(args.problems, args.events, args.entities, args.seed, args.spacing_ms)
    print(f"fake Dynatrace: ready in {time.monotonic() - started:.1f}s; serving https://127.0.0.1:{args.port}; "
          f"token {env.default_token}", flush=True)
    serve_forever(build_app(env), args.port)


if __name__ == "__main__":
    main()
