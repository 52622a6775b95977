"""`python -m tests.fakes.servicenow --port N --counts incident=100000`: serve a fake instance over https."""

from __future__ import annotations

import argparse
import time

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .instance import DEFAULT_COUNTS, Instance


def parse_counts(items: list[str]) -> dict[str, int]:
    """`incident=1000` items as {"incident": 1000}; tables not named keep their default size."""
    counts = dict(DEFAULT_COUNTS)
    for item in items:
        name, _, value = item.partition("=")
        counts[name] = int(value)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.servicenow", description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--counts", nargs="*", default=[], metavar="TABLE=N", help=f"defaults: {DEFAULT_COUNTS}")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.monotonic()
    instance = Instance(parse_counts(args.counts), args.seed)
    print(f"fake ServiceNow: data ready in {time.monotonic() - started:.1f}s; serving https://127.0.0.1:{args.port} "
          f"(CA: {certificates().ca_file})", flush=True)
    serve_forever(build_app(instance), args.port)


if __name__ == "__main__":
    main()
