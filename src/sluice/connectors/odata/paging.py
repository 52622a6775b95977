"""OData V4 server-driven paging as a REST layer `Paginator` (connectors layer, shared OData).

The client asks for pages of at most N records with the `Prefer: odata.maxpagesize=N` header
(OData Protocol 4.01, 8.2.8.3); the service answers up to that many (or fewer: it may cut pages
itself) and, while more remain, an `@odata.nextLink` to GET with the same headers - the link
already carries the query (`$select`, `$filter`) and the service's `$skiptoken`. Dataverse pages
this way and has no `$skip` (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results).
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.connectors.odata.links import absolute_link
from sluice.connectors.odata.payload import body_parts
from sluice.connectors.rest.client import Answer, Request


@dataclass(frozen=True)
class NextLink:
    """Pages of `size` records asked with `Prefer`; `@odata.nextLink` leads to the next one."""

    size: int = 5000
    vendor: str = "the service"

    def first(self, request: Request) -> Request:
        headers = dict(request.headers)
        preferences = [p for p in (headers.get("Prefer") or "").split(",") if p.strip()
                       and not p.strip().startswith("odata.maxpagesize")]
        headers["Prefer"] = ",".join([*(p.strip() for p in preferences), f"odata.maxpagesize={self.size}"])
        return request.replace(headers=headers)

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        link = body_parts(answer.body, True, self.vendor)[2]
        if not link:
            return None
        url = str(answer.response.request.url)
        # The link goes back to the host that answered it, never elsewhere with the token.
        return request.replace(path=absolute_link(str(link), url, url, self.vendor), params={})
