"""`python -m tests.fakes.stripe --port N --charges 100000`: serve a fake Stripe account over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .account import Account
from .app import build_app


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8771, {"--charges": 300, "--seed": 11}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    account = Account(args.charges, args.seed)
    return build_app(account), f"fake Stripe: serving https://127.0.0.1:{args.port}; key {account.secret_key}"


if __name__ == "__main__":
    main()
