"""The Starlette application of the fake Asana: the token endpoint and the API 1.0 routes (see __init__)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .account import TOKEN_TTL, AsanaAccount

HELP = ("For more information on API status codes and how to handle them, read the docs on errors: "
        "https://developers.asana.com/docs/errors")
UNPAGINATED_MAX = 1000
Handler = Callable[[AsanaAccount, Request], Awaitable[Response]]


class AsanaError(Exception):
    """An error answer: `{"errors": [{"message", "help"}]}`."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after

    def response(self) -> Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return JSONResponse({"errors": [{"message": self.message, "help": HELP}]}, self.status, headers=headers)


def _time(text: str, name: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise AsanaError(400, f"{name}: Not a valid date-time: {text}") from None


def _select(value: Any, tree: dict[str, Any]) -> Any:
    """A property's value as `opt_fields` selects it: a nested record (one with `gid` and
    `resource_type`) comes as just those two unless sub-properties are named (`assignee.name`);
    other values come whole."""
    if isinstance(value, list):
        return [_select(v, tree) for v in value]
    if isinstance(value, dict) and "gid" in value and "resource_type" in value:
        picked = {"gid": value["gid"], "resource_type": value["resource_type"]}
        picked.update({k: _select(value[k], sub) for k, sub in tree.items() if k in value})
        return picked
    return value


def shaped(record: dict[str, Any], request: Request, compact_by_default: bool = True) -> dict[str, Any]:
    """The record as `opt_fields` asks (compact without it, unless the endpoint answers whole records)."""
    wanted = request.query_params.get("opt_fields")
    if not wanted and not compact_by_default:
        return record
    if not wanted:
        keep = ["gid", "name", "resource_type", "resource_subtype"]
        return {k: record[k] for k in keep if k in record}
    tree: dict[str, Any] = {}
    for path in filter(None, wanted.split(",")):
        node = tree
        for part in path.strip().split("."):
            node = node.setdefault(part, {})
    return {"gid": record["gid"], **{k: _select(record[k], sub) for k, sub in tree.items()
                                     if k in record and k != "gid"}}


def page(request: Request, records: Iterable[dict[str, Any]], compact_by_default: bool = True) -> Response:
    """`{"data": [...]}` with `limit` / `offset` paging and `next_page`."""
    query = request.query_params
    everything = records if isinstance(records, Sequence) else list(records)
    if "limit" not in query:
        if len(everything) > UNPAGINATED_MAX:
            raise AsanaError(400, "The result is too large. You should use pagination (may require specifying a "
                             "workspace)!")
        return JSONResponse({"data": [shaped(r, request, compact_by_default) for r in everything]})
    try:
        limit = int(query["limit"])
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise AsanaError(400, "limit: Not a valid limit: must be between 1 and 100.")
    start = 0
    if query.get("offset"):
        try:
            start = int(base64.urlsafe_b64decode(query["offset"].encode()).decode().removeprefix("pos:"))
        except ValueError:
            raise AsanaError(400, "offset: Your pagination token is invalid.") from None
    chunk = everything[start:start + limit]
    next_page = None
    if start + limit < len(everything):
        token = base64.urlsafe_b64encode(f"pos:{start + limit}".encode()).decode()
        params = {k: v for k, v in query.items() if k != "offset"} | {"offset": token}
        path = request.url.path.removeprefix("/api/1.0") + "?" + urlencode(params)
        next_page = {"offset": token, "path": path, "uri": f"https://app.asana.com/api/1.0{path}"}
    return JSONResponse({"data": [shaped(r, request, compact_by_default) for r in chunk], "next_page": next_page})


def _workspace(account: AsanaAccount, gid: str | None) -> dict[str, Any]:
    found = next((w for w in account.workspaces if w["gid"] == gid), None)
    if found is None:
        raise AsanaError(404, "workspace: Not a recognized ID: " + str(gid))
    return found


async def me(account: AsanaAccount, request: Request) -> Response:
    return JSONResponse({"data": shaped(account.users[0], request)})


async def workspaces(account: AsanaAccount, request: Request) -> Response:
    return page(request, account.workspaces)


async def users(account: AsanaAccount, request: Request) -> Response:
    gid = request.query_params.get("workspace")
    if gid is None:
        return page(request, account.users)
    _workspace(account, gid)
    return page(request, [u for u in account.users if any(w["gid"] == gid for w in u["workspaces"])])


async def teams(account: AsanaAccount, request: Request) -> Response:
    workspace = _workspace(account, request.path_params["gid"])
    if not workspace["is_organization"]:
        raise AsanaError(400, "workspace: Not an organization: " + workspace["gid"])
    return page(request, account.teams)


async def projects(account: AsanaAccount, request: Request) -> Response:
    query = request.query_params
    found = account.projects
    if query.get("workspace"):
        _workspace(account, query["workspace"])
        found = [p for p in found if p["workspace"]["gid"] == query["workspace"]]
    if query.get("team"):
        found = [p for p in found if p["team"] and p["team"]["gid"] == query["team"]]
    if query.get("archived") in ("true", "false"):
        found = [p for p in found if p["archived"] == (query["archived"] == "true")]
    return page(request, found)


async def sections(account: AsanaAccount, request: Request) -> Response:
    gid = request.path_params["gid"]
    if gid not in account.sections:
        raise AsanaError(404, "project: Not a recognized ID: " + gid)
    return page(request, account.sections[gid])


async def tags(account: AsanaAccount, request: Request) -> Response:
    gid = request.query_params.get("workspace")
    return page(request, [t for t in account.tags if gid is None or t["workspace"]["gid"] == gid])


async def tasks(account: AsanaAccount, request: Request) -> Response:
    query = request.query_params
    project = query.get("project")
    if not project:
        raise AsanaError(400, "Must specify exactly one of project, tag, section, user task list, or assignee + "
                         "workspace")
    if project not in account.sections:
        raise AsanaError(404, "project: Not a recognized ID: " + project)
    found: Iterable[dict[str, Any]] = account.tasks_in(project)
    if query.get("modified_since"):
        since = _time(query["modified_since"], "modified_since")
        found = [t for t in found if _time(t["modified_at"], "modified_at") >= since]
    return page(request, found)


PREMIUM = ("This feature is only available to premium users. Upgrade your workspace or organization to a premium "
           "plan to use it.")


def _premium(account: AsanaAccount, workspace: dict[str, Any]) -> None:
    if workspace["gid"] not in account.premium:
        raise AsanaError(402, PREMIUM)


async def goals(account: AsanaAccount, request: Request) -> Response:
    query = request.query_params
    found = account.goals
    if query.get("workspace"):
        _premium(account, _workspace(account, query["workspace"]))
        found = [g for g in found if g["workspace"]["gid"] == query["workspace"]]
    if query.get("is_workspace_level") in ("true", "false"):
        found = [g for g in found if g["is_workspace_level"] == (query["is_workspace_level"] == "true")]
    return page(request, found)


async def portfolios(account: AsanaAccount, request: Request) -> Response:
    query = request.query_params
    workspace = _workspace(account, query.get("workspace"))
    _premium(account, workspace)
    owner = query.get("owner")
    if not owner:
        raise AsanaError(400, "owner: Missing input")
    owner = account.users[0]["gid"] if owner == "me" else owner
    return page(request, [p for p in account.portfolios
                          if p["workspace"]["gid"] == workspace["gid"] and p["owner"]["gid"] == owner])


async def audit_log_events(account: AsanaAccount, request: Request) -> Response:
    workspace = _workspace(account, request.path_params["gid"])
    if not workspace["is_organization"]:
        raise AsanaError(403, "The audit log API is only available to Enterprise and Enterprise+ organizations.")
    query = request.query_params
    found = account.audit_events
    if query.get("start_at"):
        start = _time(query["start_at"], "start_at")
        found = [e for e in found if _time(e["created_at"], "created_at") >= start]
    if query.get("end_at"):
        end = _time(query["end_at"], "end_at")
        found = [e for e in found if _time(e["created_at"], "created_at") < end]
    for name, path in (("event_type", ("event_type",)), ("actor_type", ("actor", "actor_type")),
                       ("actor_gid", ("actor", "gid")), ("resource_gid", ("resource", "gid"))):
        if query.get(name):
            found = [e for e in found if _member(e, path) == query[name]]
    return page(request, found, compact_by_default=False)


def _member(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


async def token(account: AsanaAccount, request: Request) -> Response:
    """`POST /-/oauth_token`: the refresh_token grant."""
    form = dict(await request.form())
    account.log.add("POST", "/-/oauth_token", {"grant_type": [str(form.get("grant_type"))]})
    if form.get("client_id") != account.client_id or form.get("client_secret") != account.client_secret:
        return JSONResponse({"error": "invalid_client", "error_description": "The client is not authorized."}, 401)
    if form.get("grant_type") != "refresh_token":
        return JSONResponse({"error": "unsupported_grant_type",
                             "error_description": f"Unsupported grant type: {form.get('grant_type')}"}, 400)
    access = account.refresh(str(form.get("refresh_token") or ""))
    if access is None:
        return JSONResponse({"error": "invalid_grant", "error_description": "The refresh token is not valid."}, 400)
    user = account.users[0]
    return JSONResponse({"access_token": access, "expires_in": TOKEN_TTL, "token_type": "bearer",
                         "data": {"id": int(user["gid"]), "gid": user["gid"], "name": user["name"],
                                  "email": user["email"]}})


def _api(account: AsanaAccount, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        account.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                          for k in request.query_params})
        try:
            throttled = account.throttles.take(request.url.path)
            if throttled is not None:
                raise AsanaError(429, "You have made too many requests recently. Please, be chill.",
                                 retry_after=throttled.retry_after)
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not account.valid(value):
                raise AsanaError(401, "Not Authorized")
            return await handler(account, request)
        except AsanaError as exc:
            return exc.response()
    return endpoint


def build_app(account: AsanaAccount) -> Starlette:
    """The fake's routes: /-/oauth_token and /api/1.0/..."""
    api = {
        "/users/me": me, "/workspaces": workspaces, "/users": users, "/workspaces/{gid}/teams": teams,
        "/projects": projects, "/projects/{gid}/sections": sections, "/tags": tags, "/tasks": tasks,
        "/goals": goals, "/portfolios": portfolios, "/workspaces/{gid}/audit_log_events": audit_log_events,
    }
    routes = [Route("/api/1.0" + path, _api(account, handler), methods=["GET"]) for path, handler in api.items()]

    async def oauth_token(request: Request) -> Response:
        return await token(account, request)

    return Starlette(routes=[*routes, Route("/-/oauth_token", oauth_token, methods=["POST"])])
