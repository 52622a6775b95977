"""`python -m tests.fakes.singular --port N --rows-per-day 5000`: serve a fake Singular account over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .account import Account
from .app import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.singular", description=__doc__)
    parser.add_argument("--port", type=int, default=8772)
    parser.add_argument("--rows-per-day", type=int, default=40)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    account = Account(args.rows_per_day, args.days, args.seed)
    print(f"fake Singular: serving https://127.0.0.1:{args.port}; api key {account.api_key}", flush=True)
    serve_forever(build_app(account), args.port)


if __name__ == "__main__":
    main()
