"""`python -m tests.fakes.asana --port N --tasks 100000`: serve the fake Asana over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .account import AsanaAccount
from .app import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.asana", description=__doc__)
    parser.add_argument("--port", type=int, default=8782)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=6)
    args = parser.parse_args(argv)
    account = AsanaAccount(tasks=args.tasks, projects=args.projects)
    print(f"fake Asana: serving https://127.0.0.1:{args.port}/api/1.0; personal access token {account.pat}",
          flush=True)
    serve_forever(build_app(account), args.port)


if __name__ == "__main__":
    main()
