"""`python -m tests.fakes.sapodata --port N --orders 500000`: serve a fake SAP system over https in the foreground.

Prints the URL and the test CA to trust (its certificate is issued by a CA made for this process;
see tests/support/tls.py). The basic-auth user is `system.USER` / `system.PASSWORD`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main
from tests.support.tls import certificates

from .app import build_app
from .system import SapSystem


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 9444, {"--orders": 300, "--page-cap": 5000}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    system = SapSystem(orders=args.orders, page_cap=args.page_cap)
    return build_app(system), f"fake SAP: serving https://127.0.0.1:{args.port} (trust {certificates().ca_file})"


if __name__ == "__main__":
    main()
