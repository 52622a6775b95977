"""`python -m tests.fakes.dynamics365 --port N [--accounts N]`: serve the fake in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .model import Environment

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=8443)
parser.add_argument("--accounts", type=int, default=100_000)
parser.add_argument("--contacts", type=int, default=1_000)
args = parser.parse_args()
serve_forever(build_app(Environment(accounts=args.accounts, contacts=args.contacts)), args.port)
