"""Salesforce connector settings (connectors layer): API version, login hosts, app client, retry knobs.

The values come from `sluice.settings.current().salesforce`: read once when `sluice serve` starts
(a malformed `SLUICE_SALESFORCE_*` value stops it with a message naming the variable), or from the
environment at call time outside a server, so tests can point the connector at another host
without reloading modules. See docs/salesforce-wire.md.
"""

from __future__ import annotations

from sluice.settings import SalesforceSettings, current

API_VERSION = "59.0"


def _settings() -> SalesforceSettings:
    return current().salesforce


def login_url(sandbox: bool) -> str:
    """The OAuth host for production orgs, or for sandboxes when `sandbox` is true."""
    return _settings().sandbox_login_url if sandbox else _settings().login_url


def app_client() -> tuple[str | None, str | None]:
    """Sluice's connected app: (client id, client secret), either None when not configured."""
    chosen = _settings()
    return chosen.client_id, chosen.client_secret


def max_attempts() -> int:
    """Attempts per request before a throttled or unreachable Salesforce is reported (>= 1)."""
    return _settings().max_attempts


def backoff_base() -> float:
    """First retry delay in seconds; it doubles per attempt up to `BACKOFF_CAP`."""
    return _settings().backoff_base


BACKOFF_CAP = 8.0


def timeout() -> float:
    """Seconds one HTTP request may take (connect, read, write)."""
    return _settings().timeout


def bulk_page_records() -> int:
    """`maxRecords` asked of each Bulk API 2.0 result page."""
    return _settings().bulk_page_records


def bulk_threshold() -> int:
    """Record count from which AUTOMATIC uses Bulk API 2.0 (AppFlow documents 1,000,000)."""
    return _settings().bulk_threshold


def bulk_max_wait() -> float:
    """Seconds a Bulk query job may take to complete before the run gives up."""
    return _settings().bulk_max_wait
