"""The `sluice` command: `serve`, and the `accounts` admin commands.

`sluice serve` runs the AppFlow-compatible API on the embedded default (SQLite + local data
dir under ./.sluice) unless `SLUICE_DATABASE_URL` points elsewhere. On the very first start it
creates the default account and prints its keys once, as ready-to-paste `export` lines.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sluice.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "data_dir", None):
        settings.data_dir = Path(args.data_dir).resolve()
    if getattr(args, "host", None):
        settings.host = args.host
    if getattr(args, "port", None) is not None:
        settings.port = args.port
    if getattr(args, "workers", None) is not None:
        settings.workers = args.workers
    if getattr(args, "processes", None) is not None:
        settings.processes = args.processes
    return settings


def _exports(keys: object, endpoint: str) -> str:
    return "\n".join([
        f"export AWS_ACCESS_KEY_ID={keys.access_key_id}",  # type: ignore[attr-defined]
        f"export AWS_SECRET_ACCESS_KEY={keys.secret_access_key}",  # type: ignore[attr-defined]
        "export AWS_DEFAULT_REGION=us-east-1",
        f"export AWS_ENDPOINT_URL_APPFLOW={endpoint}",
    ])


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server until interrupted."""
    import uvicorn

    from sluice.api import http_server
    from sluice.api.app import create_app
    from sluice.api.runtime import open_runtime

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every vendor request URL at INFO: noise at best (a REST pull is one line per page),
    # and a place a careless URL could leak a value. Connectors log what matters themselves.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Connectors that keep data under the data dir (the embedded S3 backend) read it from here.
    os.environ["SLUICE_DATA_DIR"] = str(settings.data_dir)
    # Custom connectors' code reads its credentials secret from this server (docs/connectors.md).
    if not os.environ.get("SLUICE_PUBLIC_URL"):
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        os.environ["SLUICE_PUBLIC_URL"] = f"http://{host}:{settings.port}"
    runtime = open_runtime(settings)
    endpoint = f"http://{settings.host}:{settings.port}"
    if runtime.keys_are_new and not settings.access_key_id:
        print("Sluice created the default account. Its keys are shown this once; paste these lines:", flush=True)
        print(_exports(runtime.default_keys, endpoint), flush=True)
    print(f"Sluice {_version()} serving the AppFlow API on {endpoint} "
          f"(data dir {settings.data_dir}, account {runtime.default_keys.account_id})", flush=True)
    # Request heads are capped in size and time while they arrive (api/http_server.py): uvicorn's
    # own httptools protocol buffers a head of any size before the app can see it.
    http_server.configure(settings.max_header_bytes, settings.header_timeout_seconds)
    common = {"host": settings.host, "port": settings.port, "log_level": "warning", "access_log": False,
              "lifespan": "on", "http": http_server.LimitedHttpToolsProtocol}
    if settings.processes <= 1:
        uvicorn.run(create_app(runtime), **common)  # type: ignore[arg-type]
        return 0
    # Several processes share the port; each opens its own runtime from the environment.
    runtime.store.engine.dispose()
    os.environ.update(settings.to_env())
    uvicorn.run("sluice.api.app:app_from_env", factory=True, workers=settings.processes, **common)  # type: ignore[arg-type]
    return 0


def _version() -> str:
    from sluice import __version__

    return __version__


def cmd_accounts(args: argparse.Namespace) -> int:
    """`sluice accounts create|list|delete|credentials`."""
    from sluice.api.runtime import open_store
    from sluice.store import accounts

    settings = _settings(args)
    store = open_store(settings)
    endpoint = f"http://{settings.host}:{settings.port}"
    if args.action == "create":
        try:
            keys = accounts.create_account(store, args.name)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"# account {keys.name}: {keys.account_id}")
        print(_exports(keys, endpoint))
        return 0
    if args.action == "list":
        print(f"{'NAME':<24} {'ACCOUNT ID':<14} ACCESS KEY ID")
        for account in accounts.list_accounts(store):
            print(f"{account.name:<24} {account.account_id:<14} {account.access_key_id}")
        return 0
    if args.action == "delete":
        if not accounts.delete_account(store, args.name):
            print(f"error: no account named {args.name!r}", file=sys.stderr)
            return 1
        print(f"deleted account {args.name} and everything it owned")
        return 0
    if args.action == "credentials":
        for account in accounts.list_accounts(store):
            if account.name == args.name:
                found = accounts.resolve_access_key(store, account.access_key_id)
                assert found is not None
                keys = accounts.AccountKeys(account.account_id, account.name, account.access_key_id, found[0])
                print(_exports(keys, endpoint))
                return 0
        print(f"error: no account named {args.name!r}", file=sys.stderr)
        return 1
    return 2


def cmd_connectors(args: argparse.Namespace) -> int:
    """`sluice connectors link|unlink|links`: run a custom connector's Lambda ARN from local code."""
    from sluice.connectors.custom_connector import links

    data_dir = str(_settings(args).data_dir)
    if args.action == "link":
        try:
            links.link(args.arn, args.target, data_dir)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{args.arn} now runs {args.target} locally")
        return 0
    if args.action == "unlink":
        if not links.unlink(args.arn, data_dir):
            print(f"error: {args.arn} is not linked", file=sys.stderr)
            return 1
        print(f"{args.arn} is invoked through Lambda again")
        return 0
    if args.action == "env":
        return _connector_env(args)
    for arn, target in sorted(links.links(data_dir).items()):
        print(f"{arn}  {target}")
    return 0


def _connector_env(args: argparse.Namespace) -> int:
    """Print the environment a deployed connector needs to read its credentials from this server."""
    from sluice.api.runtime import open_store
    from sluice.engine.profiles import invocation_env
    from sluice.store import accounts

    settings = _settings(args)
    store = open_store(settings)
    found = [a for a in accounts.list_accounts(store) if args.account in (None, a.name)]
    if not found:
        print(f"error: no account named {args.account!r}", file=sys.stderr)
        return 1
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    os.environ.setdefault("SLUICE_PUBLIC_URL", f"http://{host}:{settings.port}")
    for name, value in invocation_env(store, found[0].account_id, args.region).items():
        print(f"export {name}={value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="sluice", description="Sluice: the AppFlow API, self-hosted.")
    parser.add_argument("--data-dir", help="data directory (default ./.sluice or SLUICE_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="listen address (default 127.0.0.1 or SLUICE_HOST)")
    serve.add_argument("--port", type=int, help="listen port (default 8080 or SLUICE_PORT)")
    serve.add_argument("--workers", type=int, help="run worker threads (default: cores; 0 = accept runs only)")
    serve.add_argument("--processes", type=int, help="server processes sharing the port (default 1)")
    serve.set_defaults(func=cmd_serve)
    acc = sub.add_parser("accounts", help="manage accounts and their keys")
    acc_sub = acc.add_subparsers(dest="action", required=True)
    for action, needs_name, text in (
        ("create", True, "create an account and print its keys"),
        ("list", False, "list accounts"),
        ("delete", True, "delete an account and all its resources"),
        ("credentials", True, "print an account's keys as export lines"),
    ):
        p = acc_sub.add_parser(action, help=text)
        if needs_name:
            p.add_argument("name")
    acc.set_defaults(func=cmd_accounts)
    con = sub.add_parser("connectors", help="run custom connectors' Lambda ARNs from local handlers")
    con_sub = con.add_subparsers(dest="action", required=True)
    link = con_sub.add_parser("link", help="bind a Lambda ARN to module:function or path/to/file.py:function")
    link.add_argument("arn")
    link.add_argument("target")
    con_sub.add_parser("unlink", help="invoke the ARN through Lambda again").add_argument("arn")
    con_sub.add_parser("links", help="list the local bindings")
    env = con_sub.add_parser("env", help="print the environment a deployed connector needs (credentials secrets)")
    env.add_argument("--account", help="account name (default: the first account)")
    env.add_argument("--region", default="us-east-1")
    con.set_defaults(func=cmd_connectors)
    parser.add_argument("--version", action="version", version=f"sluice {_version()}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sluice` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
