"""Following links an OData service answered (connectors layer, shared OData).

Next links (`__next`, `@odata.nextLink`) and delta links may be relative (V4) and are sent with
the profile's credentials, so a link is made absolute against the request it answered and
refused when it leads to another origin than the one the credentials are for.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from sluice.connectors.base import ConnectorError


def origin(url: str) -> str:
    """`scheme://host:port` of `url` (the default port spelled out)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def absolute_link(link: str, request_url: str, allowed: str, vendor: str) -> str:
    """`link` made absolute against `request_url`; `ServerError` when it leaves the origin of `allowed`."""
    absolute = urljoin(request_url, link)
    if origin(absolute) != origin(allowed):
        raise ConnectorError("ServerError", f"{vendor} answered a paging or delta link to another host "
                             f"({origin(absolute)}); Sluice sends the profile's credentials only to "
                             f"{origin(allowed)}")
    return absolute
