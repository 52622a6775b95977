"""Keys a custom connector's code signs its Secrets Manager calls with (store layer).

AppFlow hands a custom connector the ARN of a secret holding the profile's credentials; the
connector reads it with GetSecretValue. Sluice answers that call itself, so a connector runs with
no AWS account. The keys it signs with are issued per (account, connector label): they open the
secrets of that connector's profiles in that account and nothing else (the AppFlow API refuses
them, and so does the secrets endpoint for another connector's profiles).

A key is derived, not stored: the access key id is `ASLC` + the account id + a tag of the label
(`label_tag`), the secret an HMAC of that id under a root secret. The root is kept in
`server_settings` sealed with the master key, so a copy of the database alone yields no keys. A
root stored in plaintext by an older Sluice is sealed on first use (`ensure_root`, run at start).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import weakref

from sqlalchemy import delete

from sluice.store.accounts import account_exists
from sluice.store.models import ServerSetting
from sluice.store.repository import Store

LEGACY_SETTING = "connector_secrets_key"  # the plaintext root of Sluice before it was sealed
SETTING = "connector_secrets_root"
_CONTEXT = "server-setting:" + SETTING
PREFIX = "ASLC"  # access key ids of connector keys: ASLC + the 12-digit account id + label tag
_TAG_LENGTH = 16

# Per store object, not per id(store): ids are reused once a store is gone, and a new store (a
# test's, another database's) must not inherit an old one's root.
_roots: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()


def ensure_root(store: Store) -> bytes:
    """The root secret, sealed into the store on first use (adopting and removing a plaintext one)."""
    root = _roots.get(store)
    if root is not None:  # one read per store: the root never changes once created
        return root
    with store.admin() as session:
        legacy = session.get(ServerSetting, LEGACY_SETTING)
        plaintext = bytes(legacy.value) if legacy is not None else None

    def create() -> bytes:
        # Keeping the old root keeps keys an operator already handed to deployed connectors.
        return store.box.seal(plaintext if plaintext is not None else os.urandom(32), _CONTEXT)

    root = store.box.open(store.setting(SETTING, create), _CONTEXT)
    if plaintext is not None:
        with store.admin() as session:
            session.execute(delete(ServerSetting).where(ServerSetting.key == LEGACY_SETTING))
    _roots[store] = root
    return root


def label_tag(label: str) -> str:
    """The part of a connector key id that names the connector label (hex of a hash: ids stay short)."""
    return hashlib.sha256(label.encode()).hexdigest()[:_TAG_LENGTH].upper()


def connector_keys(store: Store, account_id: str, label: str) -> tuple[str, str]:
    """`(access key id, secret access key)` for the code of connector `label` in `account_id`."""
    key_id = f"{PREFIX}{account_id}{label_tag(label)}"
    return key_id, _secret(store, key_id)


def _secret(store: Store, key_id: str) -> str:
    return hmac.new(ensure_root(store), f"connector-secrets:{key_id}".encode(), hashlib.sha256).hexdigest()


def key_scope(access_key_id: str) -> tuple[str, str] | None:
    """`(account id, label tag)` a connector key id names, or None when it is no connector key."""
    if not access_key_id.startswith(PREFIX) or len(access_key_id) != len(PREFIX) + 12 + _TAG_LENGTH:
        return None
    account_id, tag = access_key_id[len(PREFIX):len(PREFIX) + 12], access_key_id[len(PREFIX) + 12:]
    if not account_id.isdigit() or not all(c in "0123456789ABCDEF" for c in tag):
        return None
    return account_id, tag


def resolve_connector_key(store: Store, access_key_id: str) -> tuple[str, str] | None:
    """`(secret, account id)` for a connector key of an existing account, or None for any other key."""
    scope = key_scope(access_key_id)
    if scope is None or not account_exists(store, scope[0]):
        return None
    return _secret(store, access_key_id), scope[0]
