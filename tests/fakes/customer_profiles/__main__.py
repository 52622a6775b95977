"""`python -m tests.fakes.customer_profiles --port N`: serve the fake Customer Profiles API over https."""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import CustomerProfilesState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.customer_profiles", description=__doc__)
    parser.add_argument("--port", type=int, default=9444)
    parser.add_argument("--seed-objects", type=int, default=0, help="objects seeded in the domain `seeded`")
    args = parser.parse_args(argv)
    state = CustomerProfilesState(seed_objects=args.seed_objects)
    key = next(iter(state.keys))
    print(f"fake Customer Profiles: https://127.0.0.1:{args.port} (trust {certificates().ca_file}; "
          f"sign with {key} / {state.keys[key]})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
