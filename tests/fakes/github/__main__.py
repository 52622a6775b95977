"""`python -m tests.fakes.github --port N --issues 100000`: serve a fake GitHub over https in the foreground.

`--token` makes a fixed access token valid (for scripted clients and benchmarks).
"""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import GitHubState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.github", description=__doc__)
    parser.add_argument("--port", type=int, default=9445)
    parser.add_argument("--repos", type=int, default=4)
    parser.add_argument("--issues", type=int, default=60, help="issues per repository")
    parser.add_argument("--commits", type=int, default=40, help="commits per repository")
    parser.add_argument("--token", help="also accept this access token (no expiry)")
    args = parser.parse_args(argv)
    state = GitHubState(repos=args.repos, issues=args.issues, commits=args.commits)
    if args.token:
        state.issue_token(token=args.token)
    print(f"fake GitHub: serving https://127.0.0.1:{args.port} (trust {certificates().ca_file})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
