"""Read endpoints of the fake Zendesk: lists, shows, and the incremental exports.

List endpoints (Tickets, Users, Organizations, Groups, Ticket Fields, User Fields) paginate as
https://developer.zendesk.com/api-reference/introduction/pagination/ says:
- cursor pagination when `page[size]` (at most 100) is given: `meta.has_more`,
  `meta.after_cursor`/`before_cursor`, `links.next`/`links.prev`, `page[after]`/`page[before]`;
- otherwise offset pagination (legacy): `per_page` (at most 100), `page`, `next_page`,
  `previous_page`, `count`.
Incremental exports (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/,
"Using the Incremental Exports API"):
- cursor-based `/incremental/{tickets,users}/cursor.json`: `start_time` on the first request, then
  `cursor`; answers `after_url`, `after_cursor`, `before_url`, `before_cursor`, `end_of_stream`;
- time-based `/incremental/{tickets,users,organizations}.json`: `start_time`; answers `count`,
  `end_time`, `next_page` (start_time=end_time, so the last item repeats: the documented
  duplicates), `end_of_stream`.
Both return records changed at or after `start_time` in change order, up to `per_page` (max 1000)
a page, and leave out changes from the last minute. A `start_time` under a minute old is refused.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import seed
from .account import Account
from .http import ZendeskError, base_url, guarded, json_response

LIST_MAX = 100
EXPORT_MAX = 1000
SINGULAR = {"tickets": "ticket", "users": "user", "organizations": "organization", "groups": "group",
            "ticket_fields": "ticket_field", "user_fields": "user_field"}


def routes(account: Account) -> list[Route]:
    """The read routes, each answering with and without the `.json` suffix."""
    out = [*_both("/api/v2/users/me", guarded(account, lambda r: _me(account, r)))]
    for entity in SINGULAR:
        out += _both(f"/api/v2/{entity}", guarded(account, _lister(account, entity)))
        out += _both(f"/api/v2/{entity}/{{rid:int}}", guarded(account, _shower(account, entity)))
    for entity in ("tickets", "users"):
        out += _both(f"/api/v2/incremental/{entity}/cursor", guarded(account, _cursor_export(account, entity)))
    for entity in ("tickets", "users", "organizations"):
        out += _both(f"/api/v2/incremental/{entity}", guarded(account, _time_export(account, entity)))
    return out


def _both(path: str, endpoint: Any) -> list[Route]:
    return [Route(path, endpoint, methods=["GET"]), Route(path + ".json", endpoint, methods=["GET"])]


def records(account: Account, entity: str, after: int | None, url: str, before: int | None = None,
            descending: bool = False) -> Iterator[dict[str, Any]]:
    """An entity's records by id (fields come from the static definitions)."""
    if entity in ("ticket_fields", "user_fields"):
        fields = seed.ticket_fields(url) if entity == "ticket_fields" else seed.user_fields(url)
        picked = [f for f in fields if (after is None or f["id"] > after) and (before is None or f["id"] < before)]
        return iter(sorted(picked, key=lambda f: f["id"], reverse=descending))
    collection = account.collections[entity]
    if descending:
        assert before is not None
        return collection.by_id_desc(before, url)
    return collection.by_id(after, url, before)


def _filters(entity: str, request: Request) -> list[tuple[str, set[str]]]:
    """The list filters the API documents for an entity: tickets by `external_id`; users by `role`, `external_id`."""
    params = request.query_params
    picked: list[tuple[str, set[str]]] = []
    if entity in ("tickets", "users") and params.get("external_id"):
        picked.append(("external_id", {params["external_id"]}))
    if entity == "users":
        roles = set(params.getlist("role[]")) | ({params["role"]} if params.get("role") else set())
        if roles:
            picked.append(("role", roles))
    return picked


def _lister(account: Account, entity: str) -> Any:
    async def handler(request: Request) -> Response:
        params = request.query_params
        url = base_url(request)
        filters = _filters(entity, request)

        def keep(stream: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            return (r for r in stream if all(r.get(f) in allowed for f, allowed in filters))

        if any(k.startswith("page[") for k in params):
            return _cursor_page(account, entity, request, url, keep)
        per_page = _bounded(params.get("per_page"), LIST_MAX, LIST_MAX, "per_page")
        page = _bounded(params.get("page"), 1, 10**9, "page")
        stream = keep(records(account, entity, None, url))
        chunk = list(itertools.islice(stream, (page - 1) * per_page, page * per_page + 1))
        items, more = chunk[:per_page], len(chunk) > per_page
        total = sum(1 for _ in keep(records(account, entity, None, url))) if filters else _count(account, entity, url)
        here = f"{url}{request.url.path}"
        query = {k: v for k, v in params.items() if k not in ("page", "per_page")}
        link = lambda n: f"{here}?{urlencode({**query, 'page': n, 'per_page': per_page})}"  # noqa: E731
        return json_response({entity: items, "next_page": link(page + 1) if more else None,
                              "previous_page": link(page - 1) if page > 1 else None, "count": total})

    return handler


def _count(account: Account, entity: str, url: str) -> int:
    if entity in account.collections:
        return account.collections[entity].total()
    return sum(1 for _ in records(account, entity, None, url))


def _cursor_page(account: Account, entity: str, request: Request, url: str, keep: Any) -> Response:
    params = request.query_params
    size = _bounded(params.get("page[size]"), LIST_MAX, LIST_MAX, "page[size]")
    after = _decode_id(params.get("page[after]"))
    before = _decode_id(params.get("page[before]"))
    if before is not None:
        chunk = list(itertools.islice(keep(records(account, entity, None, url, before, descending=True)), size + 1))
        items, more = list(reversed(chunk[:size])), len(chunk) > size
        has_more, prev_more = True, more
    else:
        chunk = list(itertools.islice(keep(records(account, entity, after, url)), size + 1))
        items, more = chunk[:size], len(chunk) > size
        has_more, prev_more = more, after is not None
    first = _encode_id(items[0]["id"]) if items else None
    last = _encode_id(items[-1]["id"]) if items else None
    here = f"{url}{request.url.path}"
    query = {k: v for k, v in params.items() if not k.startswith("page[")}
    link = lambda k, c: f"{here}?{urlencode({**query, 'page[size]': size, k: c})}"  # noqa: E731
    return json_response({
        entity: items,
        "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
        "links": {"next": link("page[after]", last) if has_more and last else None,
                  "prev": link("page[before]", first) if prev_more and first else None},
    })


def _shower(account: Account, entity: str) -> Any:
    async def handler(request: Request) -> Response:
        rid = request.path_params["rid"]
        url = base_url(request)
        found = next((r for r in records(account, entity, rid - 1, url) if r["id"] == rid), None) \
            if entity in ("ticket_fields", "user_fields") else account.collections[entity].get(rid, url)
        if found is None:
            raise ZendeskError(404, "RecordNotFound", "Not found")
        return json_response({SINGULAR[entity]: found})

    return handler


async def _me(account: Account, request: Request) -> Response:
    me = dict(seed.user(0, account.sizes, base_url(request)))
    me.update(role="admin", email="admin@company.example", name="Admin Agent", moderator=True)
    return json_response({"user": me})


# --- incremental exports --------------------------------------------------------------------------------------------
def _start_time(account: Account, request: Request) -> int:
    raw = request.query_params.get("start_time")
    if raw is None or not raw.lstrip("-").isdigit():
        raise ZendeskError(400, "InvalidValue", "start_time must be a Unix epoch time in seconds")
    start = int(raw)
    if start > account.now() - 60:
        raise ZendeskError(400, "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute")
    return max(start, 0)


def _export_rows(account: Account, entity: str, after: tuple[int, int], url: str) -> Iterator[Any]:
    """Changes after `after`, minus those younger than the settle time (the docs' one minute)."""
    horizon = account.now() - account.settle_seconds
    return itertools.takewhile(lambda pair: pair[0][0] <= horizon,
                               account.collections[entity].by_change(after, url))


def _cursor_export(account: Account, entity: str) -> Any:
    async def handler(request: Request) -> Response:
        params = request.query_params
        per_page = _bounded(params.get("per_page"), EXPORT_MAX, EXPORT_MAX, "per_page")
        # A start_time position sorts before every record changed at that second: "at or after".
        position = _decode_position(params["cursor"]) if "cursor" in params else (_start_time(account, request), -1)
        url = base_url(request)
        chunk = list(itertools.islice(_export_rows(account, entity, position, url), per_page + 1))
        page, end = chunk[:per_page], len(chunk) <= per_page
        last = page[-1][0] if page else position
        first = page[0][0] if page else position
        here = f"{url}{request.url.path}"
        after_cursor, before_cursor = _encode_position(last), _encode_position((first[0], first[1] - 1))
        return json_response({
            entity: [record for _, record in page],
            "after_url": f"{here}?{urlencode({'cursor': after_cursor, 'per_page': per_page})}",
            "after_cursor": after_cursor,
            "before_url": f"{here}?{urlencode({'cursor': before_cursor, 'per_page': per_page})}" if page else None,
            "before_cursor": before_cursor if page else None,
            "end_of_stream": end,
        })

    return handler


def _time_export(account: Account, entity: str) -> Any:
    async def handler(request: Request) -> Response:
        params = request.query_params
        per_page = _bounded(params.get("per_page"), EXPORT_MAX, EXPORT_MAX, "per_page")
        start = _start_time(account, request)
        url = base_url(request)
        rows = _export_rows(account, entity, (start, -1), url)
        page = list(itertools.islice(rows, per_page))
        more = len(page) == per_page and next(rows, None) is not None
        if more:
            # Records sharing the last timestamp all go on this page, else the next page (which
            # starts at that timestamp) could never move past them.
            tail = page[-1][0][0]
            rest = _export_rows(account, entity, page[-1][0], url)
            page += list(itertools.takewhile(lambda pair: pair[0][0] == tail, rest))
        end_time = page[-1][0][0] if page else start
        here = f"{url}{request.url.path}"
        return json_response({
            entity: [record for _, record in page], "count": len(page), "end_time": end_time,
            "next_page": f"{here}?{urlencode({'start_time': end_time, 'per_page': per_page})}",
            "end_of_stream": not more,
        })

    return handler


# --- cursors and parameters -----------------------------------------------------------------------------------------
def _bounded(raw: str | None, default: int, maximum: int, name: str) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ZendeskError(400, "InvalidPaginationParameter", f"{name} must be a positive integer")
    if int(raw) > maximum:
        raise ZendeskError(400, "InvalidPaginationParameter", f"{name} must be less than or equal to {maximum}")
    return int(raw)


def _encode_id(rid: int) -> str:
    return base64.urlsafe_b64encode(f"id:{rid}".encode()).decode().rstrip("=")


def _decode_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("id:"):
            return int(text[3:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise ZendeskError(400, "InvalidPaginationParameter", "Invalid cursor")


def _encode_position(key: tuple[int, int]) -> str:
    # Shaped like Zendesk's own export cursors: base64 of "<timestamp>.0||<id>|".
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode()


def _decode_position(cursor: str) -> tuple[int, int]:
    try:
        stamp, _, rest = base64.b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except (ValueError, UnicodeDecodeError):
        raise ZendeskError(400, "InvalidValue", "Invalid cursor") from None
