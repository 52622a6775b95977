"""The `python -m tests.fakes.<vendor> --port N ...` entry point every fake shares.

Each fake declares its options (flag -> default, or (default, help)) and how to build its app from the
parsed arguments; this parses, prints the one-line banner the fake returns, and serves in the foreground.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.fakes.common.https import serve_forever

Build = Callable[[argparse.Namespace], tuple[Any, str]]


def main(package: str | None, doc: str | None, port: int, options: Mapping[str, Any], build: Build,
         argv: Sequence[str] | None = None) -> None:
    """Parse `--port` and `options`, build (app, banner), print the banner and serve until interrupted."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}", description=doc)
    parser.add_argument("--port", type=int, default=port)
    for flag, spec in options.items():
        default, help_text = spec if isinstance(spec, tuple) else (spec, None)
        # An option without a default (None) is a string the caller may leave out.
        parser.add_argument(flag, type=str if default is None else type(default), default=default, help=help_text)
    args = parser.parse_args(argv)
    app, banner = build(args)
    print(banner, flush=True)
    serve_forever(app, args.port)
