"""The fake Jira Cloud site's routes: OAuth platform, gateway and site REST API v2 and v3 (see the package doc)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from .jql import JqlError, parse, sort_key
from .site import FIELDS, PROJECTS, Site

SEARCH_DEFAULT, SEARCH_MAX, ID_ONLY_MAX = 50, 100, 5000


class JiraError(Exception):
    """An error answer: status and body."""

    def __init__(self, status: int, messages: list[str], errors: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.body = body if body is not None else {"errorMessages": messages, "errors": errors or {}}
        self.headers = headers or {}


def _answer(error: JiraError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if "json" in (request.headers.get("content-type") or ""):
        try:
            loaded = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(parse_qsl(raw.decode()))


def build_app(site: Site) -> Starlette:
    """The Starlette app serving `site` (platform, gateway and site paths on one host)."""

    # -- OAuth 2.0 (3LO) platform ---------------------------------------------------------------

    async def token(request: Request) -> JSONResponse:
        body = await _form_or_json(request)
        site.log.add("POST", "/oauth/token", {"grant_type": [str(body.get("grant_type"))]})
        if body.get("client_id") != site.client_id or body.get("client_secret") != site.client_secret:
            return JSONResponse({"error": "access_denied", "error_description": "Unauthorized"}, status_code=401)
        grant = body.get("grant_type")
        if grant == "authorization_code":
            redirect = site.codes.pop(str(body.get("code")), None)
            if redirect is None or redirect != body.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant", "error_description": "Invalid authorization code"},
                                    status_code=403)
        elif grant == "refresh_token":
            if not site.use_refresh(str(body.get("refresh_token"))):
                return JSONResponse({"error": "unauthorized_client", "error_description":
                                     "refresh_token is invalid"}, status_code=403)
        else:
            return JSONResponse({"error": "unsupported_grant_type", "error_description": str(grant)}, status_code=400)
        return JSONResponse(site.issue_tokens())

    def bearer(request: Request) -> str:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not site.valid_access(value.strip()):
            raise JiraError(401, [], body={"code": 401, "message": "Unauthorized"})
        return value

    async def accessible_resources(request: Request) -> JSONResponse:
        site.log.add("GET", request.url.path, {})
        try:
            bearer(request)
        except JiraError as error:
            return _answer(error)
        name = site.site_url.split("//")[1].split(".")[0]
        return JSONResponse([{"id": site.cloud_id, "url": site.site_url, "name": name,
                              "scopes": ["read:jira-work", "read:jira-user"], "avatarUrl": ""}])

    # -- REST API v2 and v3 (the same resources; v3 answers rich text as ADF) -------------------

    def authenticate(request: Request, gateway: bool) -> None:
        if gateway:
            bearer(request)
            return
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                email, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                email, secret = "", ""
            if (email, secret) == (site.email, site.api_token):
                return
        raise JiraError(401, ["Client must be authenticated to access this resource."])

    def api(handler: Any, gateway: bool, version: int, method: str = "GET") -> Any:
        """A REST endpoint: logged, authenticated, throttled; the handler answers in v2's shape."""

        async def endpoint(request: Request) -> Response:
            params = {k: request.query_params.getlist(k) for k in request.query_params}
            body = await request.json() if method == "POST" and await request.body() else None
            site.log.add(method, request.url.path, {**params, **({k: [json.dumps(v) if not isinstance(v, str) else v]
                                                                   for k, v in (body or {}).items()})})
            try:
                authenticate(request, gateway)
                if site.take_throttle():
                    raise JiraError(429, ["Rate limit exceeded."], headers={
                        "Retry-After": str(site.retry_after), "X-RateLimit-Reason": "jira-burst-based"})
                answer = handler(request, params, body)
                return JSONResponse(site.v3(answer) if version == 3 else answer)
            except JiraError as error:
                return _answer(error)

        return endpoint

    def server_info(request: Request, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        return {"baseUrl": site.site_url, "displayUrl": site.site_url, "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud", "buildNumber": 100280,
                "serverTitle": "Jira", "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC"}

    def myself(request: Request, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        return {**site.api_user, "groups": {"size": 2, "items": []}, "applicationRoles": {"size": 1, "items": []}}

    def fields(request: Request, params: dict[str, list[str]], body: Any) -> list[dict[str, Any]]:
        return FIELDS

    def search(request: Request, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        query = body if isinstance(body, dict) else {k: (v if k == "fields" else v[0]) for k, v in params.items()}
        text = str(query.get("jql") or "")
        wanted = query.get("fields") or ["id"]
        if isinstance(wanted, str):
            wanted = [wanted]
        wanted = [f.strip() for item in wanted for f in str(item).split(",") if f.strip()]
        try:
            limit = int(query.get("maxResults") or SEARCH_DEFAULT)
        except ValueError:
            raise JiraError(400, ["maxResults must be a number"]) from None
        limit = max(1, min(limit, ID_ONLY_MAX if set(wanted) <= {"id", "key"} else SEARCH_MAX))
        try:
            found = parse(text, ZoneInfo(site.api_user["timeZone"]))
        except JqlError as error:
            raise JiraError(400, [str(error)]) from None
        if not found.bounded:
            raise JiraError(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to "
                                  "your query."])
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        offset = 0
        if query.get("nextPageToken"):
            try:
                state = json.loads(base64.urlsafe_b64decode(str(query["nextPageToken"])))
                offset, token_digest = int(state["o"]), state["q"]
            except (ValueError, KeyError, TypeError):
                raise JiraError(400, ["The provided next page token is invalid or expired."]) from None
            if token_digest != digest:
                raise JiraError(400, ["The provided next page token is invalid or expired."])
        cache_key = (text, site.api_user["timeZone"], site.version)
        indexes = site.matches.get(cache_key)
        if indexes is None:
            matches = [issue for issue in (site.issue(i) for i in range(site.count())) if found.predicate(issue)]
            for name, descending in reversed(found.order or [("created", True)]):
                matches.sort(key=sort_key(name), reverse=descending)
            indexes = [int(issue["id"]) - 10000 for issue in matches]
            if len(site.matches) > 32:
                site.matches.clear()
            site.matches[cache_key] = indexes
        page = [site.issue(i) for i in indexes[offset:offset + limit]]
        everything = "*all" in wanted or "*navigable" in wanted
        issues = [{**{k: issue[k] for k in ("expand", "id", "self", "key")},
                   "fields": {k: v for k, v in issue["fields"].items() if everything or k in wanted}} for issue in page]
        answer: dict[str, Any] = {"issues": issues, "isLast": offset + limit >= len(indexes)}
        if not answer["isLast"]:
            token = json.dumps({"o": offset + limit, "q": digest}).encode()
            answer["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        return answer

    def issue(request: Request, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        index = site.find(request.path_params["key"])
        if index is None:
            raise JiraError(404, ["Issue does not exist or you do not have permission to see it."])
        found = site.issue(index)
        wanted = {f.strip() for value in params.get("fields") or ["*all"] for f in value.split(",") if f.strip()}
        everything = "*all" in wanted or "*navigable" in wanted
        return {**{k: found[k] for k in ("expand", "id", "self", "key")},
                "fields": {k: v for k, v in found["fields"].items() if everything or k in wanted}}

    def project_json(index: int, expand: set[str]) -> dict[str, Any]:
        project_id, key, name, kind = PROJECTS[index]
        shaped: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{site.site_url}/rest/api/2/project/{project_id}", "id": project_id, "key": key, "name": name,
            "avatarUrls": {"48x48": f"{site.site_url}/rest/api/2/universal_avatar/view/type/project/avatar/{index}"},
            "projectTypeKey": kind, "simplified": index % 2 == 0, "style": "next-gen" if index % 2 == 0 else "classic",
            "isPrivate": index == 4, "properties": {}, "uuid": f"{index:08d}-7c1e-4f0a-9d3b-5e6f7a8b9c0d"}
        if index in (1, 2):
            shaped["projectCategory"] = {"self": f"{site.site_url}/rest/api/2/projectCategory/1000{index}",
                                         "id": f"1000{index}", "name": "Intern — drift", "description": None}
        if "description" in expand:
            shaped["description"] = "" if index == 3 else f"Prosjekt {name}: «mål» og plan"
        if "lead" in expand:
            shaped["lead"] = {k: site.users[index + 1][k] for k in ("self", "accountId", "displayName", "active")}
        return shaped

    def project_search(request: Request, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        start = int((params.get("startAt") or ["0"])[0])
        size = min(int((params.get("maxResults") or ["50"])[0]), 100)
        expand = set(",".join(params.get("expand") or []).split(","))
        keys = {k for value in params.get("keys") or [] for k in value.split(",")}
        kinds = set(params.get("typeKey") or [])
        chosen = [i for i, p in enumerate(PROJECTS) if (not keys or p[1] in keys) and (not kinds or p[3] in kinds)]
        page = chosen[start:start + size]
        answer: dict[str, Any] = {"self": str(request.url), "maxResults": size, "startAt": start, "total": len(chosen),
                                  "isLast": start + size >= len(chosen), "values": [project_json(i, expand)
                                                                                   for i in page]}
        if not answer["isLast"]:
            answer["nextPage"] = str(request.url.include_query_params(startAt=start + size))
        return answer

    def project_list(request: Request, params: dict[str, list[str]], body: Any) -> list[dict[str, Any]]:
        expand = set(",".join(params.get("expand") or []).split(","))
        return [project_json(i, expand) for i in range(len(PROJECTS))]

    def users_search(request: Request, params: dict[str, list[str]], body: Any) -> list[dict[str, Any]]:
        start = int((params.get("startAt") or ["0"])[0])
        size = min(int((params.get("maxResults") or ["50"])[0]), 1000)
        return site.users[start:start + size]

    def rest_routes(gateway: bool, version: int) -> list[Route]:
        return [
            Route("/serverInfo", api(server_info, gateway, version)),
            Route("/myself", api(myself, gateway, version)),
            Route("/field", api(fields, gateway, version)),
            Route("/search/jql", api(search, gateway, version), methods=["GET"]),
            Route("/search/jql", api(search, gateway, version, "POST"), methods=["POST"]),
            Route("/issue/{key}", api(issue, gateway, version)),
            Route("/project/search", api(project_search, gateway, version)),
            Route("/project", api(project_list, gateway, version)),
            Route("/users/search", api(users_search, gateway, version)),
        ]

    return Starlette(routes=[
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/token/accessible-resources", accessible_resources),
        *[Mount(f"/ex/jira/{site.cloud_id}/rest/api/{v}", routes=rest_routes(True, v)) for v in (2, 3)],
        *[Mount(f"/rest/api/{v}", routes=rest_routes(False, v)) for v in (2, 3)],
    ])
