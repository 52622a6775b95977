"""`python -m tests.fakes.sapodata --port N --orders 500000`: serve a fake SAP system over https in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .system import SapSystem


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.sapodata", description=__doc__)
    parser.add_argument("--port", type=int, default=9444)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--page-cap", type=int, default=5000)
    args = parser.parse_args(argv)
    system = SapSystem(orders=args.orders, page_cap=args.page_cap)
    serve_forever(build_app(system), args.port)


if __name__ == "__main__":
    main()
