"""`python -m tests.fakes.trendmicro --port N --records 100000`: serve a fake Deep Security API in the foreground."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import DEFAULT_KEY, TrendMicroState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.trendmicro", description=__doc__)
    parser.add_argument("--port", type=int, default=9444)
    parser.add_argument("--records", type=int, default=300, help="seeded objects of each kind (made lazily)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--key", default=DEFAULT_KEY)
    args = parser.parse_args(argv)
    state = TrendMicroState(records=args.records, seed=args.seed, key=args.key)
    print(f"fake Trend Micro: serving https://127.0.0.1:{args.port}/api (trust {certificates().ca_file})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
