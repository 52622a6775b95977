"""`python -m tests.fakes.zendesk --port N --tickets 500000`: serve a fake Zendesk account over https in the foreground.

Prints the account URL and the test CA to trust (its certificate is issued by a CA made for this
process; see tests/support/tls.py). `--token` makes a fixed OAuth access token valid, for
scripted clients (the benchmark).
"""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .account import Account
from .app import build_app


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.zendesk", description=__doc__)
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--organizations", type=int, default=25)
    parser.add_argument("--groups", type=int, default=6)
    parser.add_argument("--token", help="also accept this OAuth access token (no expiry)")
    args = parser.parse_args(argv)
    account = Account(args.tickets, args.users, args.organizations, args.groups)
    if args.token:
        account.auth.issue(token=args.token)
    ca = certificates().ca_file
    print(f"fake Zendesk: serving https://127.0.0.1:{args.port} (trust {ca})", flush=True)
    serve_forever(build_app(account), args.port)


if __name__ == "__main__":
    main()
