"""`python -m tests.fakes.mailchimp --port N --members 100000`: serve the fake Mailchimp over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .account import MailchimpAccount
from .app import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.mailchimp", description=__doc__)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=30)
    args = parser.parse_args(argv)
    account = MailchimpAccount(members=args.members, campaigns=args.campaigns)
    print(f"fake Mailchimp: serving https://127.0.0.1:{args.port}/3.0; API key {account.api_key}", flush=True)
    serve_forever(build_app(account), args.port)


if __name__ == "__main__":
    main()
