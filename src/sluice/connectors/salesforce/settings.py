"""Salesforce connector settings (connectors layer): API version, hosts, app client, retry knobs.

Everything is read from the environment at call time, so tests (and deployments) can point the
connector at another host without reloading modules. See docs/salesforce-wire.md.
"""

from __future__ import annotations

import os

import httpx

from sluice.connectors import outbound

API_VERSION = "59.0"
CONNECTOR_TYPE = "Salesforce"

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_SANDBOX_LOGIN_URL = "https://test.salesforce.com"

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
    `SLUICE_SALESFORCE_[SANDBOX_]LOGIN_URL`, else `SLUICE_ENDPOINT_URL_SALESFORCE`, else Salesforce's."""
    override = outbound.endpoint_override(CONNECTOR_TYPE)
    if sandbox:
        return os.environ.get("SLUICE_SALESFORCE_SANDBOX_LOGIN_URL") or override or DEFAULT_SANDBOX_LOGIN_URL
    return os.environ.get("SLUICE_SALESFORCE_LOGIN_URL") or override or DEFAULT_LOGIN_URL


def vendor_hosts() -> tuple[str, ...]:
    """Salesforce's hosts plus the login hosts the operator configured (outbound.check_vendor_url)."""
    return outbound.known_hosts(CONNECTOR_TYPE, HOSTS, os.environ.get("SLUICE_SALESFORCE_LOGIN_URL"),
                                os.environ.get("SLUICE_SALESFORCE_SANDBOX_LOGIN_URL"))


def http_client(limits: httpx.Limits | None = None, request_timeout: float | None = None) -> httpx.Client:
    """An httpx client that calls only Salesforce's hosts (connectors/outbound.py); `timeout()` by default."""
    return outbound.vendor_http_client(allowed_host_suffixes=vendor_hosts(), limits=limits,
                                       timeout=timeout() if request_timeout is None else request_timeout)


def app_client() -> tuple[str | None, str | None]:
    """Sluice's connected app: (client id, client secret), either None when not configured."""
    return (
        os.environ.get("SLUICE_SALESFORCE_CLIENT_ID") or None,
        os.environ.get("SLUICE_SALESFORCE_CLIENT_SECRET") or None,
    )


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def max_attempts() -> int:
    """Attempts per request before a throttled or unreachable Salesforce is reported (>= 1)."""
    return max(1, int(_number("SLUICE_SALESFORCE_MAX_ATTEMPTS", 5)))


def backoff_base() -> float:
    """First retry delay in seconds; it doubles per attempt up to `BACKOFF_CAP`."""
    return max(0.0, _number("SLUICE_SALESFORCE_BACKOFF_BASE", 0.5))


BACKOFF_CAP = 8.0


def timeout() -> float:
    """Seconds one HTTP request may take (connect, read, write)."""
    return max(1.0, _number("SLUICE_SALESFORCE_TIMEOUT", 120.0))


def bulk_page_records() -> int:
    """`maxRecords` asked of each Bulk API 2.0 result page."""
    return max(1, int(_number("SLUICE_SALESFORCE_BULK_PAGE_RECORDS", 100_000)))


def bulk_threshold() -> int:
    """Record count from which AUTOMATIC uses Bulk API 2.0 (AppFlow documents 1,000,000)."""
    return max(0, int(_number("SLUICE_SALESFORCE_BULK_THRESHOLD", 1_000_000)))


def bulk_max_wait() -> float:
    """Seconds a Bulk query job may take to complete before the run gives up."""
    return max(1.0, _number("SLUICE_SALESFORCE_BULK_MAX_WAIT", 3600.0))
