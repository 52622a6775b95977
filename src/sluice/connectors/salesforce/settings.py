"""Salesforce connector settings (connectors layer): API version, hosts, app client, retry knobs.

The values come from `sluice.settings.current().salesforce`: read once when `sluice serve` starts
(a malformed `SLUICE_SALESFORCE_*` value stops it with a message naming the variable), or from the
environment at call time outside a server, so tests can point the connector at another host
without reloading modules. See docs/salesforce-wire.md.
"""

from __future__ import annotations

import httpx

from sluice.connectors import outbound
from sluice.settings import SalesforceSettings, current

API_VERSION = "59.0"
CONNECTOR_TYPE = "Salesforce"


def _settings() -> SalesforceSettings:
    return current().salesforce

# The hosts Salesforce serves orgs, My Domain logins, sites and Government Cloud from
# (help.salesforce.com "Allow the Required Domains"); instance and token URLs must be on them.
HOSTS = (
    "salesforce.com",
    "force.com",
    "cloudforce.com",
    "database.com",
    "my.site.com",
    "salesforce-sites.com",
    "visualforce.com",
    "salesforce.mil",
)


def login_url(sandbox: bool) -> str:
    """The OAuth host for production orgs, or for sandboxes when `sandbox` is true:
    `SLUICE_SALESFORCE_LOGIN_URL` / `SLUICE_SALESFORCE_SANDBOX_LOGIN_URL`, else
    `SLUICE_ENDPOINT_URL_SALESFORCE`, else Salesforce's."""
    return _settings().sandbox_login_url if sandbox else _settings().login_url


def vendor_hosts() -> tuple[str, ...]:
    """Salesforce's hosts plus the login hosts the operator configured (outbound.check_vendor_url)."""
    return outbound.known_hosts(CONNECTOR_TYPE, HOSTS, _settings().login_url, _settings().sandbox_login_url)


def http_client(limits: httpx.Limits | None = None, request_timeout: float | None = None) -> httpx.Client:
    """An httpx client that calls only Salesforce's hosts (connectors/outbound.py); `timeout()` by default."""
    return outbound.vendor_http_client(allowed_host_suffixes=vendor_hosts(), limits=limits,
                                       timeout=timeout() if request_timeout is None else request_timeout)


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
