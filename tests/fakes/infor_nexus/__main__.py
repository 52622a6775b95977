"""`python -m tests.fakes.infor_nexus --port N --records 100000`: serve a fake Infor Nexus API in the foreground."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from tests.fakes.common import main as fake_main
from tests.support.tls import certificates

from .app import build_app
from .state import InforNexusState


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    options = {"--records": (300, "seeded objects of each type (made lazily)"), "--seed": 7}
    fake_main.main(__package__, __doc__, 9445, options, _build, argv)


def _build(args: argparse.Namespace) -> tuple[Any, str]:
    state = InforNexusState(records=args.records, seed=args.seed)
    return build_app(state), (f"fake Infor Nexus: serving https://127.0.0.1:{args.port}/rest/3.1 "
                              f"(trust {certificates().ca_file})")


if __name__ == "__main__":
    main()
