"""Opaque, tamper-proof `nextToken`s (service layer).

A token carries the keyset cursor (the last row id seen), the operation, the account and
region, and a digest of the request's filters, all under an HMAC with a server key kept in the
store. Because the cursor is a row id, a page boundary does not move when other rows are
inserted. A token that was forged, altered, or minted for another account, operation or filter
set is a `ValidationException`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from sluice.service.context import Caller
from sluice.service.errors import ValidationException


class Paginator:
    """Mints and checks `nextToken`s with one server key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @staticmethod
    def _filters_digest(filters: Any) -> str:
        raw = json.dumps(filters, sort_keys=True, default=str, separators=(",", ":")).encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def mint(self, caller: Caller, operation: str, cursor: int | None, filters: Any = None) -> str | None:
        """A token for the page after `cursor`, or None when there is no next page."""
        if cursor is None:
            return None
        body = json.dumps(
            [operation, caller.account_id, caller.region, cursor, self._filters_digest(filters)],
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")

    def read(self, caller: Caller, operation: str, token: str | None, filters: Any = None) -> int | None:
        """The cursor inside `token` (None for the first page); a bad token is a ValidationException."""
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            body, mac = raw[:-16], raw[-16:]
            expected = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
            if not hmac.compare_digest(mac, expected):
                raise ValueError("bad mac")
            op, account, region, cursor, digest = json.loads(body)
        except (ValueError, TypeError) as exc:
            raise ValidationException("The nextToken is invalid or has been tampered with.") from exc
        if (op, account, region) != (operation, caller.account_id, caller.region) or digest != (
            self._filters_digest(filters)
        ):
            raise ValidationException(f"The nextToken was not issued for this {operation} request.")
        if not isinstance(cursor, int):
            raise ValidationException("The nextToken is invalid or has been tampered with.")
        return cursor
