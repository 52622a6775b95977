"""`python -m tests.fakes.pardot --port N --prospects 100000`: serve a fake Pardot business unit over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .app import build_app
from .business_unit import BusinessUnit


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8774, {"--prospects": 300, "--seed": 7}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    unit = BusinessUnit(args.prospects, args.seed)
    unit.base_url = f"https://127.0.0.1:{args.port}"
    return build_app(unit), (f"fake Pardot: serving {unit.base_url}; business unit {unit.business_unit_id}, "
                             f"refresh token {unit.refresh_token}")


if __name__ == "__main__":
    main()
