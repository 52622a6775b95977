"""`python -m tests.fakes.singular --port N --rows-per-day 5000`: serve a fake Singular account over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .account import Account
from .app import build_app


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8772, {"--rows-per-day": 40, "--days": 5, "--seed": 7}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    account = Account(args.rows_per_day, args.days, args.seed)
    return build_app(account), f"fake Singular: serving https://127.0.0.1:{args.port}; api key {account.api_key}"


if __name__ == "__main__":
    main()
