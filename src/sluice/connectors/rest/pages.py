"""Walking a paged request (connectors layer, shared REST layer).

`read_pages` is the loop every paged read runs: send the request, take the record list at the
record path, build the next request from the answer (`Paginator.next`) and send it before the
current page is handed on, so the vendor prepares it while Sluice converts this one (one call
in flight at most). `RestSource` uses it for every entity without its own `read`; a vendor's own
`Entity.read` uses it too when it only adds to each page (Datadog's `query` column).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Answer, Request, RestClient
from sluice.connectors.rest.entities import Page
from sluice.connectors.rest.paging import Paginator, body_path


def read_pages(client: RestClient, request: Request, paginator: Paginator, records_path: str,
               what: str = "the object") -> Iterator[Page]:
    """The pages of a paged read starting at `request` (already `paginator.first`-ed)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rest-page") as ahead:
        current: Request | None = request
        pending: Future[Answer] | None = ahead.submit(client.call, request)
        while pending is not None and current is not None:
            answer = pending.result()
            records = body_path(answer.body, records_path)
            if records is None:
                records = []
            if not isinstance(records, list):
                raise ConnectorError("ServerError", f"{client.api.vendor}'s answer for {what} has no record list "
                                     f"at {records_path or 'its top level'}")
            current = paginator.next(current, answer, len(records))
            pending = ahead.submit(client.call, current) if current is not None else None
            yield Page(records, len(answer.response.content))
