"""The fake Stripe API's routes: `GET /v1/<object>` lists (see the package docstring for the docs followed)."""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .account import FILTERS, PREFIXES, Account

DEFAULT_VERSION = "2024-06-20"
_RANGE_KEYS = ("gt", "gte", "lt", "lte")


class StripeError(Exception):
    """An error answer: status and Stripe's error object."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "type": type_}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param


def _headers(request: Request) -> dict[str, str]:
    return {"Request-Id": f"req_{uuid.uuid4().hex[:14]}",
            "Stripe-Version": request.headers.get("Stripe-Version") or DEFAULT_VERSION}


def _authenticate(account: Account, request: Request) -> None:
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = value.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(value).decode().partition(":")[0]
        except ValueError:
            key = ""
    if not key:
        raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                               "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                               "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.")
    if key not in account.keys:
        raise StripeError(401, f"Invalid API Key provided: {key[:8]}{'*' * 4}{key[-4:]}")


def _integer(value: str, param: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StripeError(400, f"Invalid integer: {value}", param=param) from None


def _matches(record: dict[str, Any], name: str, wanted: str) -> bool:
    if name == "delivery_success":  # events: whether every webhook delivery succeeded
        return (record.get("pending_webhooks") == 0) == (wanted.lower() == "true")
    if name == "price":  # subscriptions: any item with this price
        items = (record.get("items") or {}).get("data") or []
        return any((item.get("price") or {}).get("id") == wanted for item in items)
    value = record.get(name)
    if isinstance(value, bool):
        return str(value).lower() == wanted.lower()
    return value == wanted


def list_objects(account: Account, kind: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of a list, newest first."""
    allowed = {"limit", "starting_after", "ending_before", "created", *FILTERS[kind]}
    lower: int | None = None
    upper: int | None = None
    filters: dict[str, str] = {}
    limit = 10
    for key, value in query.items():
        base, _, rest = key.partition("[")
        if base not in allowed:
            raise StripeError(400, f"Received unknown parameter: {key}", param=key)
        if base == "created":
            part = rest.rstrip("]")
            if not rest:
                lower = upper = _integer(value, "created")
            elif part in _RANGE_KEYS:
                seconds = _integer(value, key)
                if part == "gt":
                    lower = max(lower or seconds + 1, seconds + 1)
                elif part == "gte":
                    lower = max(lower or seconds, seconds)
                elif part == "lt":
                    upper = min(upper if upper is not None else seconds - 1, seconds - 1)
                else:
                    upper = min(upper if upper is not None else seconds, seconds)
            else:
                raise StripeError(400, f"Received unknown parameter: {key}", param=key)
        elif base == "limit":
            limit = _integer(value, "limit")
            if limit < 1 or limit > 100:
                bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
                raise StripeError(400, f"This value must be {bound} (it currently is '{limit}').", param="limit")
        elif base in ("starting_after", "ending_before"):
            continue
        else:
            filters[base] = value
    if kind == "subscriptions":
        status = filters.get("status")
        if status == "all":
            filters.pop("status")
        elif status is None:
            filters["status"] = "!canceled"  # the list leaves canceled subscriptions out unless asked
    before: int | None = None
    if query.get("starting_after"):
        index = account.index_of(query["starting_after"])
        if index is None or index >= account.count(kind):
            raise StripeError(400, f"No such {kind[:-1]}: '{query['starting_after']}'", code="resource_missing",
                              param="starting_after")
        before = index
    indexes = account.newest_first(kind, lower, upper, before)
    if query.get("ending_before"):
        index = account.index_of(query["ending_before"]) or 0
        newer = [i for i in account.between(kind, lower, upper) if i > index]
        indexes = iter(sorted(newer[:limit + 1], reverse=True))

    def wanted(record: dict[str, Any]) -> bool:
        for name, value in filters.items():
            if value == "!canceled":
                if record.get("status") == "canceled":
                    return False
            elif not _matches(record, name, value):
                return False
        return True

    chosen = list(itertools.islice((r for r in (account.get(kind, i) for i in indexes) if wanted(r)), limit + 1))
    return {"object": "list", "data": chosen[:limit], "has_more": len(chosen) > limit, "url": f"/v1/{kind}"}


def build_app(account: Account) -> Starlette:
    """The Starlette app serving `account`."""

    def lister(kind: str) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            query = dict(request.query_params)
            account.log.add("GET", request.url.path, {k: request.query_params.getlist(k) for k in query})
            headers = _headers(request)
            try:
                _authenticate(account, request)
                if account.take_throttle():
                    raise StripeError(429, "Request rate limit exceeded. Learn more about rate limits here "
                                           "https://stripe.com/docs/rate-limits.", code="rate_limit")
                return JSONResponse(list_objects(account, kind, query), headers=headers)
            except StripeError as error:
                return JSONResponse({"error": error.body}, status_code=error.status, headers=headers)

        return endpoint

    async def unknown(request: Request) -> JSONResponse:
        return JSONResponse({"error": {"message": f"Unrecognized request URL (GET: {request.url.path}). Please see "
                                       "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                                       "type": "invalid_request_error"}}, status_code=404)

    routes = [Route(f"/v1/{kind}", lister(kind), methods=["GET"]) for kind in PREFIXES]
    routes.append(Route("/{path:path}", unknown, methods=["GET", "POST", "DELETE"]))
    return Starlette(routes=routes)
