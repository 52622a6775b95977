"""Accounts and their access keys (store layer, admin only).

Each account has a 12-digit id and one access key pair. The secret is stored encrypted (it
must be recoverable: SigV4 verification needs it) and bound to the account id.
"""

from __future__ import annotations

import secrets
import string
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select

from sluice.store.aws_identities import DEFAULT_ACCOUNT_NAME, setting_key
from sluice.store.models import (
    Account,
    BucketGrant,
    ClientToken,
    ConnectorProfile,
    ConnectorRegistration,
    ExecutionRecord,
    Flow,
    MetadataCacheEntry,
    ServerSetting,
)
from sluice.store.repository import Store


@dataclass(frozen=True, slots=True)
class AccountKeys:
    """An account with its plaintext key pair (shown once, at creation)."""

    account_id: str
    name: str
    access_key_id: str
    secret_access_key: str


def _new_account_id() -> str:
    return secrets.choice("123456789") + "".join(secrets.choice(string.digits) for _ in range(11))


def _new_access_key_id() -> str:
    alphabet = string.ascii_uppercase + "234567"
    return "SLUI" + "".join(secrets.choice(alphabet) for _ in range(16))


def _new_secret() -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def _seal(store: Store, account_id: str, secret: str) -> bytes:
    return store.box.seal(secret.encode(), f"account:{account_id}")


def create_account(
    store: Store, name: str, access_key_id: str | None = None, secret_access_key: str | None = None
) -> AccountKeys:
    """Create an account with a fresh 12-digit id and key pair (or the given pair)."""
    with store.admin() as session:
        if session.scalar(select(Account).where(Account.name == name)) is not None:
            raise ValueError(f"an account named {name!r} already exists")
        account_id = _new_account_id()
        while session.get(Account, account_id) is not None:
            account_id = _new_account_id()
        key_id = access_key_id or _new_access_key_id()
        secret = secret_access_key or _new_secret()
        if session.scalar(select(Account).where(Account.access_key_id == key_id)) is not None:
            raise ValueError("that access key id already belongs to another account")
        session.add(
            Account(
                account_id=account_id,
                name=name,
                access_key_id=key_id,
                secret_enc=_seal(store, account_id, secret),
                created_at=time.time(),
            )
        )
    return AccountKeys(account_id, name, key_id, secret)


def list_accounts(store: Store) -> list[Account]:
    """Every account, oldest first."""
    with store.admin() as session:
        return list(session.scalars(select(Account).order_by(Account.created_at)))


def account_exists(store: Store, account_id: str) -> bool:
    """True while the account exists (its keys work)."""
    with store.admin() as session:
        return session.get(Account, account_id) is not None


def is_default_account(store: Store, account_id: str) -> bool:
    """True for the default account (the one `sluice serve` creates on first start)."""
    with store.admin() as session:
        account = session.get(Account, account_id)
        return account is not None and account.name == DEFAULT_ACCOUNT_NAME


# Every table whose rows belong to one account (their `account_id`).
OWNED = (ExecutionRecord, Flow, ConnectorProfile, ConnectorRegistration, ClientToken, MetadataCacheEntry, BucketGrant)


def sweep_orphans(store: Store) -> int:
    """Delete rows whose account no longer exists; the number deleted.

    `delete_account` removes everything an account owns in its own transaction, but a request
    whose keys were checked just before that commit may still commit a write just after it. Each
    server runs this on its recovery heartbeat, so such a straggler (unreachable: its keys are
    gone) is removed within seconds rather than left behind.
    """
    existing = select(Account.account_id)
    deleted = 0
    with store.admin() as session:
        for model in OWNED:
            result = session.execute(delete(model).where(model.account_id.not_in(existing)))
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


def delete_account(store: Store, name: str) -> bool:
    """Delete the account called `name` and every resource it owns; False if there was none.

    Takes effect at once in every server process: keys are looked up per request, not cached.
    The account row goes first, in the same transaction as its resources, so the transaction
    takes the row's lock before it looks for resources to delete.

    Grants it held on local S3 buckets go; buckets it owned stay recorded as its own, so their data
    passes to no other account until `sluice buckets create BUCKET --account NAME` re-homes them.
    """
    with store.admin() as session:
        account = session.scalar(select(Account).where(Account.name == name))
        if account is None:
            return False
        account_id = account.account_id
        session.delete(account)
        session.flush()
        for model in OWNED:
            session.execute(delete(model).where(model.account_id == account_id))
        session.execute(delete(ServerSetting).where(ServerSetting.key == setting_key(account_id)))
    return True


# Opened secrets per store, keyed by (account id, sealed secret): the row is still read on every
# request (so a deleted account's keys stop at once, in every process), but the AES-GCM opening
# and the ORM session are not paid each time. Weak: a store that is gone leaves nothing behind.
_opened: weakref.WeakKeyDictionary[Store, dict[tuple[str, bytes], str]] = weakref.WeakKeyDictionary()


# Built once: constructing the statement per request costs more than running it.
_KEY_QUERY = select(Account.account_id, Account.secret_enc).where(Account.access_key_id == bindparam("key"))


def resolve_access_key(store: Store, access_key_id: str) -> tuple[str, str] | None:
    """`(secret_access_key, account_id)` for a key id, or None when no account has it.

    Called for every signed request: one indexed read on a pooled connection, no cache of the
    answer itself, so `delete_account` takes effect on the very next request.
    """
    with store.engine.connect() as connection:
        row = connection.execute(_KEY_QUERY, {"key": access_key_id}).first()
    if row is None:
        return None
    account_id, sealed = str(row[0]), bytes(row[1])
    opened = _opened.setdefault(store, {})
    secret = opened.get((account_id, sealed))
    if secret is None:
        secret = store.box.open(sealed, f"account:{account_id}").decode()
        if len(opened) > 10_000:  # accounts come and go; keep the cache bounded
            opened.clear()
        opened[(account_id, sealed)] = secret
    return secret, account_id


def ensure_default_account(
    store: Store, access_key_id: str | None, secret_access_key: str | None
) -> tuple[AccountKeys, bool]:
    """The default account, created on first start; returns (keys, newly_created).

    With `SLUICE_ACCESS_KEY_ID`/`SLUICE_SECRET_ACCESS_KEY` given, the default account uses that
    pair (updating a stored one if it differs).
    """
    with store.admin() as session:
        account = session.scalar(select(Account).where(Account.name == DEFAULT_ACCOUNT_NAME))
        if account is not None:
            if access_key_id and secret_access_key:
                account.access_key_id = access_key_id
                account.secret_enc = _seal(store, account.account_id, secret_access_key)
            secret = store.box.open(account.secret_enc, f"account:{account.account_id}").decode()
            return AccountKeys(account.account_id, account.name, account.access_key_id, secret), False
    return create_account(store, DEFAULT_ACCOUNT_NAME, access_key_id, secret_access_key), True
