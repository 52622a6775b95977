"""Each account's own AWS identity, sealed at rest (store layer, admin only).

The default account reaches AWS (S3, Glue, Secrets Manager, Lambda) with the server's own
identity. Every other account must be given one of its own with `sluice accounts aws`: an access
key pair (optionally with a session token), or a role that the server assumes with an external
id. The setting is a `server_settings` row `aws-identity:<account id>` whose value is the JSON
object sealed with the master key and bound to that row's key, like profile credentials, so it
needs no table of its own and a copied ciphertext won't open elsewhere.
`sluice.engine.profiles.aws_identity` turns it into the `connectors.aws_identity.AwsIdentity`
that connectors use.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sluice.store.models import Account, ServerSetting
from sluice.store.repository import Store

# The account created on first start (`store.accounts` re-exports the name).
DEFAULT_ACCOUNT_NAME = "default"
_PREFIX = "aws-identity:"
_KINDS = {"keys": ("access_key_id", "secret_access_key"), "role": ("role_arn", "external_id")}


def setting_key(account_id: str) -> str:
    """The `server_settings` key holding an account's sealed AWS identity."""
    return f"{_PREFIX}{account_id}"


def account_id_of(store: Store, name: str) -> str | None:
    """The id of the account called `name`, or None."""
    with store.admin() as session:
        return session.scalar(select(Account.account_id).where(Account.name == name))


def is_default(store: Store, account_id: str) -> bool:
    """True for the default account (the one that runs as the server's own AWS identity)."""
    with store.admin() as session:
        return session.scalar(select(Account.name).where(Account.account_id == account_id)) == DEFAULT_ACCOUNT_NAME


def set_identity(store: Store, account_id: str, identity: dict[str, Any]) -> None:
    """Store (replacing any earlier one) the account's AWS identity.

    `identity` is `{"kind": "keys", "access_key_id", "secret_access_key"[, "session_token"]}` or
    `{"kind": "role", "role_arn", "external_id"}`; ValueError for anything else.
    """
    required = _KINDS.get(str(identity.get("kind")))
    if required is None or not all(identity.get(name) for name in required):
        raise ValueError(f"an AWS identity needs kind 'keys' or 'role' and {' and '.join(required or ('a kind',))}")
    sealed = store.box.seal_json({k: v for k, v in identity.items() if v}, setting_key(account_id))
    with store.admin() as session:
        row = session.get(ServerSetting, setting_key(account_id))
        if row is None:
            session.add(ServerSetting(key=setting_key(account_id), value=sealed))
        else:
            row.value = sealed


def clear_identity(store: Store, account_id: str) -> bool:
    """Forget the account's AWS identity; False if it had none."""
    with store.admin() as session:
        row = session.get(ServerSetting, setting_key(account_id))
        if row is None:
            return False
        session.delete(row)
        return True


def load_identity(store: Store, account_id: str) -> dict[str, Any] | None:
    """The account's AWS identity as `set_identity` took it, or None when none is configured."""
    with store.admin() as session:
        row = session.get(ServerSetting, setting_key(account_id))
        sealed = row.value if row is not None else None
    if sealed is None:
        return None
    value = store.box.open_json(sealed, setting_key(account_id))
    return dict(value) if isinstance(value, dict) else None
