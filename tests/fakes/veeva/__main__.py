"""`python -m tests.fakes.veeva --port N --products 100000`: serve a fake Veeva Vault over https."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main

from .app import build_app
from .vault import Vault


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    fake_main.main(__package__, __doc__, 8775, {"--products": 300, "--documents": 30, "--seed": 7}, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    vault = Vault(args.products, args.documents, args.seed)
    return build_app(vault), f"fake Veeva Vault: serving https://127.0.0.1:{args.port}; user {vault.username}"


if __name__ == "__main__":
    main()
