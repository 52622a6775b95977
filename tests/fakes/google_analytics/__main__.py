"""`python -m tests.fakes.google_analytics --port N --hours 720 --rows-per-hour 100`: serve the fake over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .app import build_app
from .backend import Backend


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8773, {"--hours": 48, "--rows-per-hour": 10, "--seed": 7}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    backend = Backend(args.hours, args.rows_per_hour, args.seed)
    return build_app(backend), (f"fake Google Analytics: serving https://127.0.0.1:{args.port}; "
                                f"client {backend.client_id}, refresh token {backend.refresh_token}")


if __name__ == "__main__":
    main()
