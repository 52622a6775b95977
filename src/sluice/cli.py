"""The `sluice` command: `serve`, the `accounts`, `buckets` and `connectors` admin commands, and
`flows` / `runs`, which call a running server's API with an account's keys (sluice/commands/).

`sluice serve` runs the AppFlow-compatible API on the embedded default (SQLite + local data
dir under ./.sluice) unless `SLUICE_DATABASE_URL` points elsewhere. On the very first start it
creates the default account and prints its keys once, as ready-to-paste `export` lines (on a
terminal; otherwise they go to `<data dir>/initial-keys.txt`, mode 0600, and the log names it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sluice import logs
from sluice.commands import webhooks
from sluice.commands.parsers import add_parsers as add_client_commands
from sluice.commands.server_settings import settings_from_args
from sluice.config import Settings, SettingsError
from sluice.settings import install

if TYPE_CHECKING:
    from sluice.store.repository import Store

# Where the first start writes the default account's keys when stdout is not a terminal.
KEYS_FILE = "initial-keys.txt"


_settings = settings_from_args


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

    from sluice.api import http_server, listening
    from sluice.api.app import create_app
    from sluice.api.processes import serve_processes
    from sluice.api.runtime import open_runtime

    settings = _settings(args)
    # Fail before printing "serving" or handing out keys when the port is taken.
    try:
        listening.check_bindable(settings.host, settings.port)
    except listening.PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # Libraries that print bodies or URLs are clamped and secrets scrubbed, even at debug (sluice/logs.py).
    logs.configure(settings.log_level)
    # Read once: connectors' settings (data dir, public URL, Salesforce, ...) for this process.
    process = settings.process_settings()
    install(process)
    runtime = open_runtime(settings)
    endpoint = f"http://{settings.host}:{settings.port}"
    listening.remember(settings.data_dir, settings.public_url)  # what `accounts credentials` prints
    if runtime.keys_are_new and not settings.access_key_id:
        _hand_over_keys(_exports(runtime.default_keys, settings.public_url), settings.data_dir)
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
    # Several processes share the port; each opens its own runtime from the settings read here.
    runtime.store.engine.dispose()
    serve_processes(settings, process, **common)
    return 0


def _hand_over_keys(exports: str, data_dir: Path) -> None:
    """Show the new default account's keys once: on the terminal, or - when stdout is not one (a
    log collector, systemd, a container) - in a file only the server's user can read, named in
    the log, so the secret key never lands in a log stream."""
    if sys.stdout.isatty():
        print("Sluice created the default account. Its keys are shown this once; paste these lines:", flush=True)
        print(exports, flush=True)
        return
    path = data_dir / KEYS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)  # also when the file already existed with other modes
        out.write("# Sluice's default account; `source` this file, then delete it.\n" + exports + "\n")
    print(f"Sluice created the default account. Its keys are in {path} (readable by this user only); "
          "source it, then delete it.", flush=True)


def _version() -> str:
    from sluice import __version__

    return __version__


def cmd_accounts(args: argparse.Namespace) -> int:
    """`sluice accounts create|list|delete|credentials|aws`."""
    from sluice.api.listening import remembered
    from sluice.api.runtime import open_store
    from sluice.store import accounts

    settings = _settings(args)
    store = open_store(settings)
    # The port given here, else the endpoint the data dir's server recorded when it started.
    given = getattr(args, "port", None) is not None
    endpoint = settings.public_url if given else (remembered(settings.data_dir) or settings.public_url)
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
    if args.action == "aws":
        return _account_aws(store, args)
    return 2


def _account_ids(settings: Settings, names: list[str] | None) -> list[str] | None:
    """The ids of the accounts called `names` (default: the default account); None after an error message."""
    from sluice.api.runtime import open_store
    from sluice.store import accounts

    wanted = names or [accounts.DEFAULT_ACCOUNT_NAME]
    by_name = {a.name: a.account_id for a in accounts.list_accounts(open_store(settings))}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        print(f"error: no account named {missing[0]!r}", file=sys.stderr)
        return None
    return [by_name[name] for name in wanted]


def _account_aws(store: Store, args: argparse.Namespace) -> int:
    """`sluice accounts aws NAME [...]`: set, clear or show the AWS identity an account's work runs as."""
    from sluice.store import aws_identities

    account_id = aws_identities.account_id_of(store, args.name)
    if account_id is None:
        print(f"error: no account named {args.name!r}", file=sys.stderr)
        return 1
    keys = args.access_key_id or args.secret_access_key or args.session_token
    role = args.role_arn or args.external_id
    if sum(map(bool, (keys, role, args.clear))) > 1:
        print("error: give access keys, a role, or --clear (one of them)", file=sys.stderr)
        return 2
    if args.name == aws_identities.DEFAULT_ACCOUNT_NAME and (keys or role):
        print("error: the default account always runs as the server's own AWS identity", file=sys.stderr)
        return 2
    if args.clear:
        cleared = aws_identities.clear_identity(store, account_id)
        print(f"account {args.name}: AWS identity {'cleared' if cleared else 'was not configured'}")
        return 0
    if keys and not (args.access_key_id and args.secret_access_key):
        print("error: --access-key-id and --secret-access-key go together", file=sys.stderr)
        return 2
    if role and not (args.role_arn and args.external_id):
        print("error: --role-arn needs --external-id (the role's trust policy must require it)", file=sys.stderr)
        return 2
    try:
        if keys:
            aws_identities.set_identity(store, account_id, {
                "kind": "keys", "access_key_id": args.access_key_id, "secret_access_key": args.secret_access_key,
                "session_token": args.session_token,
            })
        elif role:
            aws_identities.set_identity(store, account_id, {
                "kind": "role", "role_arn": args.role_arn, "external_id": args.external_id,
            })
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"account {args.name}: {_describe_identity(store, args.name, account_id)}")
    return 0


def _describe_identity(store: Store, name: str, account_id: str) -> str:
    """How an account reaches AWS, without its secrets."""
    from sluice.store import aws_identities

    if name == aws_identities.DEFAULT_ACCOUNT_NAME:
        return "runs as the server's own AWS identity"
    identity = aws_identities.load_identity(store, account_id)
    if identity is None:
        return "no AWS identity configured (the aws S3 backend, Glue, Secrets Manager and Lambda are refused)"
    if identity.get("kind") == "keys":
        return f"runs as access key {identity.get('access_key_id')}"
    return f"assumes role {identity.get('role_arn')} (with its external id)"


def cmd_buckets(args: argparse.Namespace) -> int:
    """`sluice buckets list|create|grant|revoke`: which account owns or may use each local S3 bucket."""
    from sluice.api.runtime import open_store
    from sluice.connectors.base import ConnectorError
    from sluice.connectors.s3.local import LocalStorage
    from sluice.service.flow_rules import local_s3
    from sluice.store import buckets

    settings = _settings(args)
    store = open_store(settings)
    local = LocalStorage(str(Path(settings.data_dir) / "s3"))
    if args.action != "list" and not local_s3():
        print("note: S3 is real S3 here (SLUICE_S3_BACKEND=aws); these records govern only the local store",
              file=sys.stderr)
    try:
        if args.action == "list":
            print(f"{'BUCKET':<40} {'OWNER':<24} {'FOLDER':<8} SHARED WITH")
            folders = set(local.folders())
            for row in buckets.records(store, folders):
                owner = row.owner if row.recorded else f"{row.owner} (unrecorded)"
                print(f"{row.name:<40} {owner:<24} {'yes' if row.name in folders else 'missing':<8} "
                      f"{', '.join(row.grantees) or '-'}")
            return 0
        if args.action == "create":
            place = Path(settings.data_dir) / "s3" / args.bucket
            if place.is_symlink() or (place.exists() and not place.is_dir()):
                print(f"error: {place} exists and is not a folder (links are never used as buckets)", file=sys.stderr)
                return 1
            owner, _ = buckets.create_bucket(store, args.bucket, args.account)
            made = local.create_bucket(args.bucket)
            state = "created" if made else "existing"
            print(f"bucket {args.bucket} belongs to account {owner} ({state} folder {place})")
            return 0
        if args.action == "grant":
            name = buckets.grant(store, args.bucket, args.account)
            print(f"account {name} may now use bucket {args.bucket}")
            return 0
        if args.action == "revoke":
            if not buckets.revoke(store, args.bucket, args.account):
                print(f"error: account {args.account} has no grant on bucket {args.bucket}", file=sys.stderr)
                return 1
            print(f"account {args.account} may no longer use bucket {args.bucket}")
            return 0
    except (buckets.BucketError, ConnectorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2


def cmd_connectors(args: argparse.Namespace) -> int:
    """`sluice connectors link|unlink|links|env`: run a custom connector's Lambda ARN from local code."""
    from sluice.connectors.custom_connector import links

    settings = _settings(args)
    data_dir = str(settings.data_dir)
    if args.action in ("link", "unlink"):
        account_ids = _account_ids(settings, args.account)
        if account_ids is None:
            return 1
        who = ", ".join(args.account or ["default"])
        if args.action == "link":
            try:
                links.link(args.arn, args.target, account_ids, data_dir)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"{args.arn} now runs {args.target} locally for account {who}")
            return 0
        if not links.unlink(args.arn, account_ids, data_dir):
            print(f"error: {args.arn} is not linked for account {who}", file=sys.stderr)
            return 1
        print(f"{args.arn} is invoked through Lambda again for account {who}")
        return 0
    if args.action == "env":
        return _connector_env(args)
    for arn, bound in sorted(links.links(data_dir).items()):
        for account, target in sorted(bound.items()):
            print(f"{arn}  {account}  {target}")
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
    install(settings.process_settings())
    for name, value in invocation_env(store, found[0].account_id, args.region, args.label).items():
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
        if action in ("create", "credentials"):
            p.add_argument("--port", type=int,
                           help="port for AWS_ENDPOINT_URL_APPFLOW (default: the one `sluice serve` last used)")
    aws = acc_sub.add_parser(
        "aws", help="set (or --clear, or show) the AWS identity an account's S3/Glue/Secrets Manager/Lambda calls use"
    )
    aws.add_argument("name")
    aws.add_argument("--access-key-id", help="the account's own AWS access key id")
    aws.add_argument("--secret-access-key", help="its secret access key (stored sealed with the master key)")
    aws.add_argument("--session-token", help="a session token for temporary keys")
    aws.add_argument("--role-arn", help="a role of the account's AWS account that the server assumes")
    aws.add_argument("--external-id", help="the external id the role's trust policy requires")
    aws.add_argument("--clear", action="store_true", help="forget the account's AWS identity")
    acc.set_defaults(func=cmd_accounts)
    bkt = sub.add_parser("buckets", help="owners and grants of the local S3 store's buckets")
    bkt_sub = bkt.add_subparsers(dest="action", required=True)
    bkt_sub.add_parser("list", help="every bucket folder or record: owner, grants")
    create = bkt_sub.add_parser("create", help="make a bucket folder owned by an account (or hand one over)")
    create.add_argument("bucket")
    create.add_argument("--account", "--owner", dest="account", default="default",
                        help="owning account, by name or id (default: the default account)")
    for action, text in (("grant", "let an account use a bucket"), ("revoke", "withdraw an account's grant")):
        p = bkt_sub.add_parser(action, help=text)
        p.add_argument("bucket")
        p.add_argument("account", help="account name or id")
    bkt.set_defaults(func=cmd_buckets)
    con = sub.add_parser("connectors", help="run custom connectors' Lambda ARNs from local handlers")
    con_sub = con.add_subparsers(dest="action", required=True)
    link = con_sub.add_parser("link", help="bind a Lambda ARN to module:function or path/to/file.py:function")
    link.add_argument("arn")
    link.add_argument("target")
    unlink = con_sub.add_parser("unlink", help="invoke the ARN through Lambda again")
    unlink.add_argument("arn")
    for sub_parser in (link, unlink):
        sub_parser.add_argument("--account", action="append", metavar="NAME",
                                help="account the binding is for; repeat for several (default: the default account)")
    con_sub.add_parser("links", help="list the local bindings (ARN, account id, handler)")
    env = con_sub.add_parser("env", help="print the environment a deployed connector needs (credentials secrets)")
    env.add_argument("--label", required=True, help="the connector label the connector is registered under")
    env.add_argument("--account", help="account name (default: the first account)")
    env.add_argument("--region", default="us-east-1")
    con.set_defaults(func=cmd_connectors)
    add_client_commands(sub)
    webhooks.add_parser(sub)
    parser.add_argument("--version", action="version", version=f"sluice {_version()}")
    _data_dir_after_command(parser)
    return parser


def _data_dir_after_command(parser: argparse.ArgumentParser) -> None:
    """Accept `--data-dir` after any sub-command too (`sluice serve --data-dir X`), not only before it.

    SUPPRESS as the default: a sub-command not given the flag leaves the one given before it alone.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if "--data-dir" not in child._option_string_actions:
                    child.add_argument("--data-dir", default=argparse.SUPPRESS, help="data directory (as before it)")
                _data_dir_after_command(child)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sluice` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
