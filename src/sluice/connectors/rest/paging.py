"""Pagination styles SaaS APIs use (connectors layer, shared REST layer).

A `Paginator` prepares the first request of a read (`first`: e.g. sets the page size) and, from
each answer, builds the next request or says the read is complete (`next`). The styles:

* `Cursor` - a cursor value in the body (`meta.after_cursor`, `response_metadata.next_cursor`,
  `nextPageKey`, `meta.page.after`) is sent back as a query parameter or a JSON body member;
  the read ends when the cursor is empty or a "has more" flag in the body is false;
* `NextUrl` - the body names the next page's full URL (`links.next`, `next_page`, `after_url`);
  an optional end flag (`end_of_stream`) ends it;
* `LinkHeader` - RFC 8288 `Link: <...>; rel="next"` (ServiceNow, GitHub);
* `Offset` - offset/limit parameters, ending with a short page (or at a total from the body);
* `PageNumber` - a page number parameter;
* `Single` - one request.

Paths into a body are dotted (`meta.after_cursor`); `body_path` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sluice.connectors.rest.client import Answer, Request


def body_path(body: Any, path: str) -> Any:
    """The value at dotted `path` in a JSON body ("" is the body itself); None when absent."""
    if not path:
        return body
    current = body
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _set(target: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `target` with dotted key `dotted` set (nested dicts created as needed)."""
    result = dict(target)
    parts = dotted.split(".")
    inner = result
    for part in parts[:-1]:
        inner[part] = dict(inner.get(part) or {})
        inner = inner[part]
    inner[parts[-1]] = value
    return result


class Paginator(Protocol):
    """Builds the requests of a paged read."""

    def first(self, request: Request) -> Request:
        """The first page's request."""
        ...

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        """The next page's request after `answer` (which held `records` records), or None when done."""
        ...


@dataclass(frozen=True)
class Single:
    """No pagination: one request."""

    def first(self, request: Request) -> Request:
        return request

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        return None


@dataclass(frozen=True)
class Cursor:
    """A cursor from the body, sent back as `param` (query) or `body_member` (dotted, JSON body)."""

    cursor_path: str
    param: str = ""
    body_member: str = ""
    has_more_path: str = ""
    size_param: str = ""
    size_member: str = ""
    size: int = 100
    # True when the follow-up request carries only the cursor (Dynatrace's nextPageKey: the
    # other parameters must be left out).
    cursor_only: bool = False

    def first(self, request: Request) -> Request:
        params = dict(request.params)
        if self.size_param:
            params[self.size_param] = self.size
        body = request.json
        if self.size_member and isinstance(body, dict):
            body = _set(body, self.size_member, self.size)
        return request.replace(params=params, json=body)

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        cursor = body_path(answer.body, self.cursor_path)
        if cursor in (None, "") or (self.has_more_path and not body_path(answer.body, self.has_more_path)):
            return None
        if self.body_member and isinstance(request.json, dict):
            return request.replace(json=_set(request.json, self.body_member, cursor))
        params = {self.param: cursor} if self.cursor_only else {**request.params, self.param: cursor}
        return request.replace(params=params)


@dataclass(frozen=True)
class NextUrl:
    """The body names the next page's URL at `url_path`; `end_path` (true) or no URL ends the read."""

    url_path: str
    end_path: str = ""
    size_param: str = ""
    size: int = 100
    # Stop on an empty page even when the vendor still names a next URL.
    stop_on_empty: bool = True

    def first(self, request: Request) -> Request:
        if not self.size_param:
            return request
        return request.replace(params={**request.params, self.size_param: self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        if self.end_path and body_path(answer.body, self.end_path):
            return None
        url = body_path(answer.body, self.url_path)
        if not url or (self.stop_on_empty and records == 0):
            return None
        return request.replace(path=str(url), params={})


def link_next(header: str | None) -> str | None:
    """The `rel="next"` URL of an RFC 8288 `Link` header, None when there is none."""
    if not header:
        return None
    for part in header.split(","):
        section = part.split(";")
        url = section[0].strip()
        if not (url.startswith("<") and url.endswith(">")):
            continue
        for attribute in section[1:]:
            name, _, value = attribute.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return url[1:-1]
    return None


@dataclass(frozen=True)
class LinkHeader:
    """The `Link` header's `rel="next"` URL is the next page; `size_param` sets the page size."""

    size_param: str = ""
    size: int = 100

    def first(self, request: Request) -> Request:
        if not self.size_param:
            return request
        return request.replace(params={**request.params, self.size_param: self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        url = link_next(answer.response.headers.get("Link"))
        if not url or records == 0:
            return None
        return request.replace(path=url, params={})


@dataclass(frozen=True)
class Offset:
    """`offset_param`/`limit_param`; a page shorter than the limit (or reaching `total_path`) ends it."""

    offset_param: str = "offset"
    limit_param: str = "limit"
    size: int = 100
    total_path: str = ""
    start: int = 0

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, self.offset_param: self.start,
                                       self.limit_param: self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        offset = int(request.params.get(self.offset_param, self.start)) + records
        if records < self.size or records == 0:
            return None
        total = body_path(answer.body, self.total_path) if self.total_path else None
        if isinstance(total, int) and offset >= total:
            return None
        return request.replace(params={**request.params, self.offset_param: offset})


@dataclass(frozen=True)
class PageNumber:
    """`page_param` counts pages from `start`; a short or empty page ends the read."""

    page_param: str = "page"
    size_param: str = "per_page"
    size: int = 100
    start: int = 1

    def first(self, request: Request) -> Request:
        params = {**request.params, self.page_param: self.start}
        if self.size_param:
            params[self.size_param] = self.size
        return request.replace(params=params)

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        if records == 0 or (self.size_param and records < self.size):
            return None
        page = int(request.params.get(self.page_param, self.start)) + 1
        return request.replace(params={**request.params, self.page_param: page})
