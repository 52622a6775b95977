"""`python -m tests.fakes.jira --port N --issues 100000`: serve a fake Jira Cloud site over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .site import Site


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.jira", description=__doc__)
    parser.add_argument("--port", type=int, default=8772)
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--users", type=int, default=40)
    args = parser.parse_args(argv)
    site = Site(args.issues, args.users)
    print(f"fake Jira Cloud: serving https://127.0.0.1:{args.port} (cloud id {site.cloud_id}); basic auth "
          f"{site.email} / {site.api_token}; OAuth client {site.client_id} / {site.client_secret}", flush=True)
    serve_forever(build_app(site), args.port)


if __name__ == "__main__":
    main()
