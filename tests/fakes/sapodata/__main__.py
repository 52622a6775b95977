"""`python -m tests.fakes.sapodata --port N --orders 500000`: serve a fake SAP system over https in the foreground.

Prints the URL and the test CA to trust (its certificate is issued by a CA made for this process;
see tests/support/tls.py). The basic-auth user is `system.USER` / `system.PASSWORD`.
"""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

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
    ca = certificates().ca_file
    print(f"fake SAP: serving https://127.0.0.1:{args.port} (trust {ca})", flush=True)
    serve_forever(build_app(system), args.port)


if __name__ == "__main__":
    main()
