"""The Starlette application of the fake Mailchimp: the API root and the collections (see __init__)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .account import MailchimpAccount
from .seed import links

DOCS = "https://mailchimp.com/developer/marketing/docs/errors/"
MAX_COUNT = 1000
Handler = Callable[[MailchimpAccount, Request], Any]


class Problem(Exception):
    """An RFC 7807 problem document, as Mailchimp answers errors."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail

    def response(self) -> Response:
        body = {"type": DOCS, "title": self.title, "status": self.status, "detail": self.detail,
                "instance": str(uuid.uuid4())}
        return JSONResponse(body, self.status, media_type="application/problem+json")


def _authorized(account: MailchimpAccount, header: str) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            _, _, key = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return key == account.api_key
    return scheme.lower() in ("bearer", "oauth") and value in account.tokens


def _time(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Problem(400, "Invalid Resource", f"The date {text!r} is not a valid ISO 8601 date.") from None


WHOLE = "*"  # marks a node named itself in `fields`: its value comes whole, whatever else is named under it


def _tree(paths: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in filter(None, (p.strip() for p in paths.split(","))):
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node[WHOLE] = True
    return tree


def _keep(value: Any, tree: dict[str, Any]) -> Any:
    if tree.get(WHOLE):
        return value
    if isinstance(value, list):
        return [_keep(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: _keep(value[k], sub) for k, sub in tree.items() if k != WHOLE and k in value}
    return value


def _drop(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_drop(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: (_drop(v, tree[k]) if k in tree else v) for k, v in value.items()
                if not (k in tree and tree[k].get(WHOLE))}
    return value


def partial(body: dict[str, Any], request: Request) -> dict[str, Any]:
    """`fields` / `exclude_fields` applied to an answer."""
    if request.query_params.get("fields"):
        body = _keep(body, _tree(request.query_params["fields"]))
    if request.query_params.get("exclude_fields"):
        body = _drop(body, _tree(request.query_params["exclude_fields"]))
    return body


def collection(request: Request, key: str, records: Iterable[dict[str, Any]],
               times: Iterable[str] = (), equals: Iterable[str] = (), **extra: Any) -> Response:
    """One page of a collection: `since_<f>` / `before_<f>` for each time field `f`, equality filters,
    `count` / `offset`, then the partial response."""
    query = request.query_params
    try:
        count = min(int(query.get("count", 10)), MAX_COUNT)
        offset = int(query.get("offset", 0))
    except ValueError:
        raise Problem(400, "Invalid Resource", "count and offset must be integers.") from None
    bounds = []
    for name in times:
        for prefix, keep in (("since_", lambda t, b: t > b), ("before_", lambda t, b: t < b)):
            if query.get(prefix + name):
                bounds.append((name, keep, _time(query[prefix + name])))
    wanted = {name: query[name] for name in equals if query.get(name)}
    if not bounds and not wanted and isinstance(records, Sequence):  # nothing to filter: slice the page
        body = {key: list(records[offset:offset + count]), **extra, "total_items": len(records),
                "_links": links(request.url.path.removeprefix("/3.0"))}
        return JSONResponse(partial(body, request))
    matched = 0
    page: list[dict[str, Any]] = []
    for record in records:
        if any(record.get(k) != v for k, v in wanted.items()):
            continue
        ok = True
        for name, keep, bound in bounds:
            text = record.get(name) or ""
            if not text or not keep(_time(text), bound):
                ok = False
                break
        if not ok:
            continue
        if offset <= matched < offset + count:
            page.append(record)
        matched += 1
    body = {key: page, **extra, "total_items": matched, "_links": links(request.url.path.removeprefix("/3.0"))}
    return JSONResponse(partial(body, request))


def _list_id(account: MailchimpAccount, request: Request) -> str:
    list_id = request.path_params["list_id"]
    if list_id not in account.sizes:
        raise Problem(404, "Resource Not Found", "The requested resource could not be found.")
    return str(list_id)


async def root(account: MailchimpAccount, request: Request) -> Response:
    return JSONResponse(partial({
        "account_id": "8d3a3db4d97663a9074efcc16", "login_id": "12345", "account_name": "Acme Coöperative",
        "email": "owner@acme.example", "first_name": "Zoë", "last_name": "Müller", "username": "acme",
        "role": "owner", "member_since": "2019-05-01T10:00:00+00:00", "pricing_plan_type": "monthly",
        "account_timezone": "Europe/Zurich", "pro_enabled": False, "last_login": "2024-06-01T08:00:00+00:00",
        "total_subscribers": sum(account.sizes.values()), "_links": links("/"),
    }, request))


async def ping(account: MailchimpAccount, request: Request) -> Response:
    return JSONResponse({"health_status": "Everything's Chimpy!"})


async def lists(account: MailchimpAccount, request: Request) -> Response:
    return collection(request, "lists", account.lists, times=("date_created", "campaign_last_sent"))


async def members(account: MailchimpAccount, request: Request) -> Response:
    list_id = _list_id(account, request)
    return collection(request, "members", account.members(list_id), times=("last_changed", "timestamp_opt"),
                      equals=("status",), list_id=list_id)


async def segments(account: MailchimpAccount, request: Request) -> Response:
    list_id = _list_id(account, request)
    return collection(request, "segments", account.segments[list_id], times=("created_at", "updated_at"),
                      equals=("type",), list_id=list_id)


async def segment_members(account: MailchimpAccount, request: Request) -> Response:
    list_id = _list_id(account, request)
    segment_id = request.path_params["segment_id"]
    if not any(str(s["id"]) == segment_id for s in account.segments[list_id]):
        raise Problem(404, "Resource Not Found", "The requested resource could not be found.")
    return collection(request, "members", account.segment_members(list_id, segment_id))


async def campaigns(account: MailchimpAccount, request: Request) -> Response:
    found = list(account.campaigns)
    query = request.query_params
    if query.get("list_id"):
        found = [c for c in found if c["recipients"]["list_id"] == query["list_id"]]
    if query.get("folder_id"):
        found = [c for c in found if c["settings"].get("folder_id") == query["folder_id"]]
    return collection(request, "campaigns", found, times=("create_time", "send_time"), equals=("status", "type"))


async def reports(account: MailchimpAccount, request: Request) -> Response:
    return collection(request, "reports", account.reports(), times=("send_time",), equals=("type",))


def _details(key: str) -> Handler:
    async def handler(account: MailchimpAccount, request: Request) -> Response:
        campaign_id = request.path_params["campaign_id"]
        found = account.details(campaign_id)
        if found is None:
            raise Problem(404, "Resource Not Found", "The requested resource could not be found.")
        return collection(request, key, found[key], campaign_id=campaign_id)
    return handler


async def automations(account: MailchimpAccount, request: Request) -> Response:
    return collection(request, "automations", account.automations, times=("create_time", "start_time"),
                      equals=("status",))


async def stores(account: MailchimpAccount, request: Request) -> Response:
    return collection(request, "stores", account.stores)


def _api(account: MailchimpAccount, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        account.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                          for k in request.query_params})
        try:
            if account.throttles.take(request.url.path) is not None:
                raise Problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.")
            if not _authorized(account, request.headers.get("authorization", "")):
                raise Problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access "
                              "the wrong datacenter.")
            response: Response = await handler(account, request)
            return response
        except Problem as exc:
            return exc.response()
    return endpoint


def build_app(account: MailchimpAccount) -> Starlette:
    """The fake's routes under /3.0."""
    routes = {
        "/3.0/": root, "/3.0": root, "/3.0/ping": ping, "/3.0/lists": lists, "/3.0/lists/{list_id}/members": members,
        "/3.0/lists/{list_id}/segments": segments,
        "/3.0/lists/{list_id}/segments/{segment_id}/members": segment_members,
        "/3.0/campaigns": campaigns, "/3.0/reports": reports,
        "/3.0/reports/{campaign_id}/abuse-reports": _details("abuse_reports"),
        "/3.0/reports/{campaign_id}/click-details": _details("urls_clicked"),
        "/3.0/reports/{campaign_id}/open-details": _details("members"),
        "/3.0/reports/{campaign_id}/unsubscribed": _details("unsubscribes"),
        "/3.0/automations": automations, "/3.0/ecommerce/stores": stores,
    }
    return Starlette(routes=[Route(path, _api(account, handler), methods=["GET"]) for path, handler in routes.items()])
