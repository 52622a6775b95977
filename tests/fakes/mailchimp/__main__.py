"""`python -m tests.fakes.mailchimp --port N --members 100000`: serve the fake Mailchimp over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .account import MailchimpAccount
from .app import build_app


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8781, {"--members": 1000, "--campaigns": 30}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    account = MailchimpAccount(members=args.members, campaigns=args.campaigns)
    return build_app(account), f"fake Mailchimp: serving https://127.0.0.1:{args.port}/3.0; API key {account.api_key}"


if __name__ == "__main__":
    main()
