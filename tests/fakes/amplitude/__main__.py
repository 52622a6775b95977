"""`python -m tests.fakes.amplitude --port N --events 100000`: serve a fake Amplitude project over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .project import Project


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.amplitude", description=__doc__)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spacing", type=float, default=60.0, help="seconds between seeded uploads")
    args = parser.parse_args(argv)
    project = Project(args.events, args.seed, spacing=args.spacing)
    print(f"fake Amplitude: serving https://127.0.0.1:{args.port}; keys {project.api_key}:{project.secret_key}",
          flush=True)
    serve_forever(build_app(project), args.port)


if __name__ == "__main__":
    main()
