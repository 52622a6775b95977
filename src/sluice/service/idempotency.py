"""`clientToken` idempotency for the seven operations that take one (service layer).

Same token + same parameters within 8 hours: the first call's response, nothing new created.
Same token + different parameters: `ConflictException` (every one of the seven operations
models it). After 8 hours a token is forgotten and counts as new. The check, the operation's
writes and the token row share one transaction, so two racing calls cannot both create.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sluice.service.common import now
from sluice.service.errors import ConflictException
from sluice.store.models import ClientToken
from sluice.store.repository import Scoped

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
        if existing.fingerprint != digest:
            raise ConflictException(
                f"The clientToken {token!r} was already used for a {operation} request with different "
                "parameters. Use a new clientToken for a different request."
            )
        return dict(existing.response or {})
    response = call()
    tx.add(ClientToken(operation=operation, token=token, fingerprint=digest, response=response, created_at=now()))
    return response
