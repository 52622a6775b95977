"""`python -m tests.fakes.json_api --port N --api-key KEY --tickets 250`: serve the fake API in the foreground."""

from __future__ import annotations

import argparse
import threading

from .server import FakeJsonApi


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.json_api", description=__doc__)
    parser.add_argument("--port", type=int, default=9002)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--tickets", type=int, default=250)
    args = parser.parse_args(argv)
    api = FakeJsonApi(port=args.port, api_key=args.api_key, tickets=args.tickets).start()
    print(f"fake JSON API: serving {api.url}/v1/tickets", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()


if __name__ == "__main__":
    main()
