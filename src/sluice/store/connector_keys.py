"""Keys a custom connector's code signs its Secrets Manager calls with (store layer).

AppFlow hands a custom connector the ARN of a secret holding the profile's credentials; the
connector reads it with GetSecretValue. Sluice answers that call itself, so a connector runs with
no AWS account. The keys it signs with are derived per account from a server secret kept in the
store: they open that account's connector secrets and nothing else (the AppFlow API refuses them).
"""

from __future__ import annotations

import hashlib
import hmac
import weakref

from sluice.store.repository import Store

SETTING = "connector_secrets_key"
PREFIX = "ASLC"  # access key ids of connector keys: ASLC + the 12-digit account id


# Per store object, not per id(store): ids are reused once a store is gone, and a new store (a
# test's, another database's) must not inherit an old one's root.
_roots: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()


def connector_keys(store: Store, account_id: str) -> tuple[str, str]:
    """`(access key id, secret access key)` for the connectors of `account_id`."""
    root = _roots.get(store)
    if root is None:  # one read per store: the setting never changes once created
        root = _roots[store] = store.setting(SETTING)
    secret = hmac.new(root, f"connector-secrets:{account_id}".encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}{account_id}", secret


def resolve_connector_key(store: Store, access_key_id: str) -> tuple[str, str] | None:
    """`(secret, account id)` for a connector key, or None for any other key."""
    if not access_key_id.startswith(PREFIX):
        return None
    account_id = access_key_id[len(PREFIX):]
    if len(account_id) != 12 or not account_id.isdigit():
        return None
    _, secret = connector_keys(store, account_id)
    return secret, account_id
