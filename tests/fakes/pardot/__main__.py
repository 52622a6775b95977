"""`python -m tests.fakes.pardot --port N --prospects 100000`: serve a fake Pardot business unit over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .business_unit import BusinessUnit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.pardot", description=__doc__)
    parser.add_argument("--port", type=int, default=8774)
    parser.add_argument("--prospects", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    unit = BusinessUnit(args.prospects, args.seed)
    unit.base_url = f"https://127.0.0.1:{args.port}"
    print(f"fake Pardot: serving {unit.base_url}; business unit {unit.business_unit_id}, "
          f"refresh token {unit.refresh_token}", flush=True)
    serve_forever(build_app(unit), args.port)


if __name__ == "__main__":
    main()
