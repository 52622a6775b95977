"""`python -m tests.fakes.jira --port N --issues 100000`: serve a fake Jira Cloud site over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .app import build_app
from .site import Site


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8772, {"--issues": 300, "--users": 40}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    site = Site(args.issues, args.users)
    return build_app(site), (f"fake Jira Cloud: serving https://127.0.0.1:{args.port} (cloud id {site.cloud_id}); "
                             f"basic auth {site.email} / {site.api_token}; "
                             f"OAuth client {site.client_id} / {site.client_secret}")


if __name__ == "__main__":
    main()
