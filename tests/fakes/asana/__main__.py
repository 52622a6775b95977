"""`python -m tests.fakes.asana --port N --tasks 100000`: serve the fake Asana over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .account import AsanaAccount
from .app import build_app


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8782, {"--tasks": 1000, "--projects": 6}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    account = AsanaAccount(tasks=args.tasks, projects=args.projects)
    return build_app(account), (f"fake Asana: serving https://127.0.0.1:{args.port}/api/1.0; "
                                f"personal access token {account.pat}")


if __name__ == "__main__":
    main()
