"""`python -m tests.fakes.marketo --port N --leads 100000`: serve a fake Marketo over https in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .state import MarketoState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.marketo", description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--leads", type=int, default=300, help="seeded leads (made on demand)")
    parser.add_argument("--activities", type=int, default=None, help="seeded activities (default 3 per lead)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--client-id", default="sluice-client")
    parser.add_argument("--client-secret", default="sluice-secret")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not enforce 100 calls per 20 s")
    args = parser.parse_args(argv)
    state = MarketoState(leads=args.leads, activities=args.activities, seed=args.seed, client_id=args.client_id,
                         client_secret=args.client_secret, rate_limit=None if args.no_rate_limit else (100, 20.0))
    print(f"fake Marketo: {args.leads} leads; serving https://127.0.0.1:{args.port}", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
