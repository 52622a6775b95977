"""Google's pieces both Analytics fakes (Universal Analytics and GA4) answer the same way.

Google's OAuth 2.0 (https://developers.google.com/identity/protocols/oauth2/web-server): an
authorization code or refresh token buys a `ya29.` bearer token that lasts `expires_in` seconds.
Report date ranges (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/DateRange)
take YYYY-MM-DD, `today`, `yesterday` or `NdaysAgo`.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any


class GoogleTokens:
    """The OAuth client side of a Google fake; the owner sets the attributes below in its __init__."""

    token_lifetime: int
    refresh_tokens: set[str]
    codes: set[str]
    access_tokens: dict[str, float]
    lock: threading.Lock

    @property
    def refresh_token(self) -> str:
        return next(iter(sorted(self.refresh_tokens)))

    def issue(self) -> dict[str, Any]:
        token = f"ya29.{secrets.token_urlsafe(24)}"
        with self.lock:
            self.access_tokens[token] = time.time() + self.token_lifetime
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/analytics.readonly"}

    def valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and expiry > time.time()

    def new_code(self) -> str:
        code = f"4/0A{secrets.token_urlsafe(12)}"
        self.codes.add(code)
        return code

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (as when an hour passes)."""
        with self.lock:
            self.access_tokens.clear()


def report_day(text: Any, today: datetime) -> datetime | None:
    """A date-range bound relative to `today` (midnight UTC), or None when Google would refuse it."""
    value = str(text or "")
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    ago = re.fullmatch(r"(\d+)daysAgo", value)
    if ago:
        return today - timedelta(days=int(ago.group(1)))
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
