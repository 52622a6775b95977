"""`python -m tests.fakes.datadog --port N --logs 100000`: serve a fake Datadog site over https in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import DEFAULT_API_KEY, DEFAULT_APP_KEY, DatadogState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.datadog", description=__doc__)
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--logs", type=int, default=300, help="seeded logs (made lazily: big numbers are cheap)")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--app-key", default=DEFAULT_APP_KEY)
    args = parser.parse_args(argv)
    state = DatadogState(logs=args.logs, events=args.events, seed=args.seed, api_key=args.api_key,
                         app_key=args.app_key)
    print(f"fake Datadog: serving https://127.0.0.1:{args.port} (trust {certificates().ca_file})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
