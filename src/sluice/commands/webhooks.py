"""`sluice webhooks add|list|remove`: the URLs that receive an account's run reports.

A webhook gets a signed `POST` at the end of each run of the account's flows (`engine/webhooks.py`
describes the body and the signature). `add` checks the URL with the outbound rules vendor calls
obey (https, public addresses unless `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true`) and, without
`--secret`, makes a signing secret and prints it once.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Wire `sluice webhooks ...` into the `sluice` parser's sub-commands."""
    hooks = sub.add_parser("webhooks", help="URLs that receive signed run reports (per account)")
    hooks_sub = hooks.add_subparsers(dest="action", required=True)
    add = hooks_sub.add_parser("add", help="send this account's run reports to URL")
    add.add_argument("url")
    add.add_argument("--account", help="account name (default: the default account)")
    add.add_argument("--secret", help="HMAC signing secret (default: a new one, printed once)")
    listing = hooks_sub.add_parser("list", help="every webhook (id, account, URL); secrets are not shown")
    listing.add_argument("--account", help="only this account's")
    remove = hooks_sub.add_parser("remove", help="stop sending run reports to a webhook")
    remove.add_argument("id", type=int)
    remove.add_argument("--account", help="the account it belongs to (a check)")
    hooks.set_defaults(func=cmd_webhooks)


def cmd_webhooks(args: argparse.Namespace) -> int:
    """Run `sluice webhooks add|list|remove`."""
    from sluice.api.runtime import open_store
    from sluice.commands.server_settings import settings_from_args
    from sluice.connectors.base import ConnectorError
    from sluice.connectors.outbound import check_vendor_url
    from sluice.settings import install
    from sluice.store import accounts, webhooks

    settings = settings_from_args(args)
    install(settings.process_settings())
    store = open_store(settings)
    by_name = {a.name: a.account_id for a in accounts.list_accounts(store)}
    names = {v: k for k, v in by_name.items()}
    account_id: str | None = None
    if args.account is not None or args.action == "add":
        name = args.account or accounts.DEFAULT_ACCOUNT_NAME
        if name not in by_name:
            print(f"error: no account named {name!r}", file=sys.stderr)
            return 1
        account_id = by_name[name]
    if args.action == "add":
        assert account_id is not None
        try:
            url = check_vendor_url(args.url, what="the webhook URL")
        except ConnectorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        secret = args.secret or secrets.token_urlsafe(32)
        hook_id = webhooks.add(store, account_id, url, secret)
        print(f"webhook {hook_id} sends account {names[account_id]}'s run reports to {url}")
        if not args.secret:
            print(f"signing secret (shown once): {secret}")
        return 0
    if args.action == "list":
        for hook_id, owner, url in webhooks.listed(store, account_id):
            print(f"{hook_id}  {names.get(owner, owner)}  {url}")
        return 0
    if not webhooks.remove(store, args.id, account_id):
        print(f"error: no webhook {args.id}" + (f" for account {args.account}" if args.account else ""),
              file=sys.stderr)
        return 1
    print(f"webhook {args.id} removed")
    return 0
