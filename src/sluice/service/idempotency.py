"""`clientToken` idempotency for the seven operations that take one (service layer).

Same token + same parameters within 8 hours: the first call's response, nothing new created.
Same token + different parameters: `ConflictException` (every one of the seven operations
models it). After 8 hours a token is forgotten and counts as new. The check, the operation's
writes and the token row share one transaction, so two racing calls cannot both create; `once`
also makes the loser of such a race (an SDK retry while the first call is still running) answer
as a repeat instead of failing on the winner's rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sluice.service.common import now
from sluice.service.context import Caller
from sluice.service.errors import ConflictException
from sluice.store.models import ClientToken
from sluice.store.repository import DuplicateError, Scoped, Store

TOKEN_LIFETIME_SECONDS = 8 * 3600


def fingerprint(params: dict[str, Any]) -> str:
    """A digest of the request parameters other than the token itself."""
    body = {k: v for k, v in params.items() if k != "clientToken"}
    raw = json.dumps(body, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


def run_once(
    tx: Scoped, operation: str, params: dict[str, Any], call: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run `call` unless `params['clientToken']` already ran it; return the (first) response."""
    token = params.get("clientToken")
    if not token:
        return call()
    digest = fingerprint(params)
    existing = tx.client_token(operation, token, not_before=now() - TOKEN_LIFETIME_SECONDS)
    if existing is not None:
        return _repeat(existing, operation, token, digest)
    response = call()
    tx.add(ClientToken(operation=operation, token=token, fingerprint=digest, response=response, created_at=now()))
    return response


def _repeat(existing: ClientToken, operation: str, token: str, digest: str) -> dict[str, Any]:
    """The first call's response for a repeat, or ConflictException when the parameters differ."""
    if existing.fingerprint != digest:
        raise ConflictException(
            f"The clientToken {token!r} was already used for a {operation} request with different "
            "parameters. Use a new clientToken for a different request."
        )
    return dict(existing.response or {})


def once(
    store: Store, caller: Caller, operation: str, params: dict[str, Any], call: Callable[[Scoped], dict[str, Any]]
) -> dict[str, Any]:
    """`run_once` in a transaction of its own, scoped to the caller.

    Two calls with one token can race: both find no token, both write, and the one that commits
    second fails on the first one's rows (its token, or the resource name it creates). That loser
    looks again in a fresh transaction: if the winner's token is there now, it answers as a repeat
    would; otherwise the failure had another cause and stands.
    """
    try:
        with store.scoped(caller.account_id, caller.region) as tx:
            return run_once(tx, operation, params, lambda: call(tx))
    except (DuplicateError, ConflictException) as exc:
        token = params.get("clientToken")
        if not token:
            raise
        with store.scoped(caller.account_id, caller.region) as tx:
            existing = tx.client_token(operation, token, not_before=now() - TOKEN_LIFETIME_SECONDS)
            if existing is None:
                raise exc
            return _repeat(existing, operation, token, fingerprint(params))


def seen(store: Store, caller: Caller, operation: str, params: dict[str, Any]) -> bool:
    """True when `params['clientToken']` already ran `operation` (within the token lifetime)."""
    token = params.get("clientToken")
    if not token:
        return False
    with store.scoped(caller.account_id, caller.region) as tx:
        return tx.client_token(operation, token, not_before=now() - TOKEN_LIFETIME_SECONDS) is not None
