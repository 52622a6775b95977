"""`python -m tests.fakes.hubspot --port N --records 100000`: serve a fake HubSpot account over https.

Prints the URL and the test CA to trust. `--token` makes a fixed access token valid (for scripted clients).
"""

from __future__ import annotations

import argparse

from tests.fakes.common.https import serve_forever
from tests.support.tls import certificates

from .app import build_app
from .state import HubSpotState


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.hubspot", description=__doc__)
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--records", type=int, default=300, help="seeded records per CRM object type")
    parser.add_argument("--token", help="also accept this access token")
    args = parser.parse_args(argv)
    state = HubSpotState(args.records)
    if args.token:
        state.auth.issue(args.token)
    print(f"fake HubSpot: serving https://127.0.0.1:{args.port} (trust {certificates().ca_file})", flush=True)
    serve_forever(build_app(state), args.port)


if __name__ == "__main__":
    main()
