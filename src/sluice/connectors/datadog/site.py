"""Which Datadog API host a profile's `instanceUrl` means (connectors layer, Datadog).

Datadog runs separate sites (https://docs.datadoghq.com/getting_started/site/): US1 `datadoghq.com`,
US3 `us3.datadoghq.com`, US5 `us5.datadoghq.com`, EU1 `datadoghq.eu`, AP1 `ap1.datadoghq.com`, AP2
`ap2.datadoghq.com` and US1-FED `ddog-gov.com`; each site's API is at `api.<site>`. Users paste the
site, the web app's address (`app.datadoghq.com`, `us3.datadoghq.com`) or the API's; all three mean
the same API, so a site or `app.` host is turned into its `api.` host. Any other host (an `api.` host
already, or a test server) is used as given.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

HOSTS = ("datadoghq.com", "datadoghq.eu", "ddog-gov.com")
SITES = frozenset({"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "ap1.datadoghq.com",
                   "ap2.datadoghq.com", "datadoghq.eu", "ddog-gov.com"})
DEFAULT_URL = "https://api.datadoghq.com"


def api_url(instance_url: str) -> str:
    """The API base URL for an `instanceUrl` (see the module docstring)."""
    text = instance_url.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower().rstrip(".")
    site = host[4:] if host.startswith("app.") else host
    if site in SITES:
        netloc = f"api.{site}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, "", "", ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
