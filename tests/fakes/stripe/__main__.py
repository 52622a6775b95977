"""`python -m tests.fakes.stripe --port N --charges 100000`: serve a fake Stripe account over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .account import Account
from .app import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.stripe", description=__doc__)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--charges", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    account = Account(args.charges, args.seed)
    print(f"fake Stripe: serving https://127.0.0.1:{args.port}; key {account.secret_key}", flush=True)
    serve_forever(build_app(account), args.port)


if __name__ == "__main__":
    main()
