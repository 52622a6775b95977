"""`python -m tests.fakes.infor_nexus --port N --records 100000`: serve a fake Infor Nexus API in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import InforNexusState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.infor_nexus", description=__doc__)
    parser.add_argument("--port", type=int, default=9445)
    parser.add_argument("--records", type=int, default=300, help="seeded objects of each type (made lazily)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    state = InforNexusState(records=args.records, seed=args.seed)
    print(f"fake Infor Nexus: serving https://127.0.0.1:{args.port}/rest/3.1 (trust {certificates().ca_file})",
          flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
