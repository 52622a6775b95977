"""`python -m tests.fakes.veeva --port N --products 100000`: serve a fake Veeva Vault over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever

from .app import build_app
from .vault import Vault


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.veeva", description=__doc__)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    vault = Vault(args.products, args.documents, args.seed)
    print(f"fake Veeva Vault: serving https://127.0.0.1:{args.port}; user {vault.username}", flush=True)
    serve_forever(build_app(vault), args.port)


if __name__ == "__main__":
    main()
