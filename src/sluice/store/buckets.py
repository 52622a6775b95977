"""Who may use which bucket of the embedded S3 store (store layer).

The `local` S3 backend keeps each bucket as a folder `<data dir>/s3/<bucket>`. As in S3, a bucket
belongs to one account, and its owner may let other accounts use it:

* a bucket with a row in `s3_buckets` belongs to that row's account;
* a bucket without a row belongs to the default account, so the single-user layout
  (`mkdir .sluice/s3/raw`, then flows of the default account) keeps working unchanged;
* an account may use (list, read, write) the buckets it owns and those it was granted
  (`s3_bucket_grants`); every other bucket looks to it exactly like one that does not exist.

`usable()` is that rule, and the only place it is written: the S3 connector asks it through
`BucketAccess` (bound to one account, handed to connectors as a `BucketPolicy`), flow validation
through `Scoped.usable_buckets`. The rule does not look at the disk, so its answer for a bucket
never depends on whether the folder exists. Rows change only through the `sluice buckets`
admin commands (`create_bucket`, `grant`, `revoke`), which also drop cached S3 metadata so a
revoked account stops seeing what it saw before.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from sluice.store.accounts import DEFAULT_ACCOUNT_NAME
from sluice.store.models import Account, Bucket, BucketGrant, MetadataCacheEntry
from sluice.store.repository import Store

# S3's naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html),
# enforced when `sluice buckets create` makes a folder; IP-address-like names are refused too.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")


class BucketError(ValueError):
    """An admin request the records cannot satisfy (unknown account, bucket owned by another...)."""


def valid_bucket_name(name: str) -> bool:
    """True for a name S3 would accept for a new bucket."""
    return bool(_BUCKET_NAME.fullmatch(name)) and ".." not in name and not _IP_ADDRESS.fullmatch(name)


def default_account_id(session: Session) -> str | None:
    """The default account's id (None before the server first started)."""
    return session.scalar(select(Account.account_id).where(Account.name == DEFAULT_ACCOUNT_NAME))


def usable(session: Session, account_id: str, names: Collection[str]) -> set[str]:
    """The names among `names` that `account_id` may use: owned, granted, or unrecorded and default's."""
    wanted = set(names)
    if not wanted:
        return set()
    rows = session.execute(select(Bucket.name, Bucket.owner_account_id).where(Bucket.name.in_(wanted)))
    owners = {name: owner for name, owner in rows}
    granted = set(session.scalars(
        select(BucketGrant.bucket).where(BucketGrant.account_id == account_id, BucketGrant.bucket.in_(wanted))
    ))
    is_default = default_account_id(session) == account_id
    return {
        name for name in wanted
        if owners.get(name) == account_id or name in granted or (name not in owners and is_default)
    }


@dataclass
class BucketAccess:
    """`BucketPolicy` for one account: asks the store, and remembers each answer for its lifetime.

    One is made per metadata call or run, so a grant or revoke takes effect from the next one.
    """

    store: Store
    account_id: str
    _known: dict[str, bool] = field(default_factory=dict, repr=False)

    def allowed(self, names: Collection[str]) -> set[str]:
        """The names among `names` this account may use."""
        unknown = [name for name in names if name not in self._known]
        if unknown:
            with self.store.admin() as session:
                ok = usable(session, self.account_id, unknown)
            self._known.update({name: name in ok for name in unknown})
        return {name for name in names if self._known[name]}


# -- admin (the `sluice buckets` commands) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BucketRecord:
    """One bucket as `sluice buckets list` shows it."""

    name: str
    owner: str  # an account name; the id when the account was deleted
    recorded: bool  # False: an unrecorded folder, the default account's by the rule
    grantees: tuple[str, ...] = ()


def find_account(session: Session, name_or_id: str) -> Account:
    """The account called `name_or_id`, or whose 12-digit id it is."""
    account = session.scalar(
        select(Account).where(or_(Account.name == name_or_id, Account.account_id == name_or_id))
    )
    if account is None:
        hint = " (the server creates it on its first start)" if name_or_id == DEFAULT_ACCOUNT_NAME else ""
        raise BucketError(f"no account named {name_or_id!r}{hint}")
    return account


def _owner_row(session: Session, bucket: str) -> Bucket | None:
    return session.get(Bucket, bucket)


def _forget_s3_metadata(session: Session) -> None:
    """Drop every account's cached S3 entity metadata: who sees which bucket just changed."""
    session.execute(delete(MetadataCacheEntry).where(MetadataCacheEntry.connector_key == "S3"))


def create_bucket(store: Store, bucket: str, account: str) -> tuple[str, bool]:
    """Record `account` (a name or id) as the owner of `bucket`; returns (owner name, newly recorded).

    The caller makes the folder. Re-creating one's own bucket is fine; a bucket another account
    owns is refused, unless that account was deleted (its buckets then wait for a new owner).
    """
    if not valid_bucket_name(bucket):
        raise BucketError(f"{bucket!r} is not a valid S3 bucket name (3-63 of a-z 0-9 . -)")
    with store.admin() as session:
        owner = find_account(session, account)
        row = _owner_row(session, bucket)
        if row is not None:
            if row.owner_account_id == owner.account_id:
                return owner.name, False
            current = session.get(Account, row.owner_account_id)
            if current is not None:
                raise BucketError(
                    f"bucket {bucket} belongs to account {current.name}; "
                    f"use `sluice buckets grant {bucket} {owner.name}` to share it"
                )
            row.owner_account_id = owner.account_id
        else:
            session.add(Bucket(name=bucket, owner_account_id=owner.account_id, created_at=time.time()))
        _forget_s3_metadata(session)
        return owner.name, True


def grant(store: Store, bucket: str, account: str) -> str:
    """Let `account` (a name or id) use `bucket`; returns the account's name."""
    with store.admin() as session:
        grantee = find_account(session, account)
        row = _owner_row(session, bucket)
        owner_id = row.owner_account_id if row is not None else default_account_id(session)
        if owner_id == grantee.account_id:
            raise BucketError(f"account {grantee.name} owns bucket {bucket} already")
        if session.get(BucketGrant, (bucket, grantee.account_id)) is None:
            session.add(BucketGrant(bucket=bucket, account_id=grantee.account_id, granted_at=time.time()))
        _forget_s3_metadata(session)
        return grantee.name


def revoke(store: Store, bucket: str, account: str) -> bool:
    """Withdraw `account`'s grant on `bucket`; False when it had none."""
    with store.admin() as session:
        grantee = find_account(session, account)
        found = session.get(BucketGrant, (bucket, grantee.account_id))
        if found is None:
            return False
        session.delete(found)
        _forget_s3_metadata(session)
        return True


def records(store: Store, folders: Collection[str]) -> list[BucketRecord]:
    """Every recorded bucket and every folder in `folders`, with owner and grantees, by name."""
    with store.admin() as session:
        names = {account.account_id: account.name for account in session.scalars(select(Account))}
        default_id = default_account_id(session)
        owners = {row.name: row.owner_account_id for row in session.scalars(select(Bucket))}
        grants: dict[str, list[str]] = {}
        for row in session.scalars(select(BucketGrant).order_by(BucketGrant.granted_at)):
            grants.setdefault(row.bucket, []).append(names.get(row.account_id, row.account_id))
    result = []
    for bucket in sorted(set(owners) | set(folders)):
        owner_id = owners.get(bucket, default_id or "")
        result.append(BucketRecord(bucket, names.get(owner_id, owner_id), bucket in owners,
                                   tuple(grants.get(bucket, ()))))
    return result

