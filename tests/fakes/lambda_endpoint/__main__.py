"""`python -m tests.fakes.lambda_endpoint --port N --function NAME=HANDLER ...`: serve in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import FakeLambda


def parse_pairs(items: list[str], what: str) -> dict[str, str]:
    """`KEY=VALUE` items as a dict."""
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"{what} must look like KEY=VALUE: {item!r}")
        pairs[key] = value
    return pairs


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, register the functions and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.lambda_endpoint", description=__doc__)
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--function", action="append", default=[], metavar="NAME=HANDLER",
                        help="register a function (module:function or /path/file.py:function); repeatable")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment variable given to every function; repeatable")
    parser.add_argument("--timeout", type=float, default=30, help="function timeout in seconds")
    args = parser.parse_args(argv)
    fake = FakeLambda(port=args.port)
    env = parse_pairs(args.env, "--env")
    for name, handler in parse_pairs(args.function, "--function").items():
        fake.add_function(name, handler, env=env, timeout=args.timeout)
        print(f"function {name}: {fake.arn(name)}", flush=True)
    fake.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"fake Lambda: serving {fake.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
