"""The fake GitHub REST API v3 as a Starlette app.

Follows GitHub's docs:
* endpoints - https://docs.github.com/en/rest/users/users#get-the-authenticated-user,
  https://docs.github.com/en/rest/repos/repos#list-repositories-for-the-authenticated-user,
  https://docs.github.com/en/rest/issues/issues#list-issues-assigned-to-the-authenticated-user,
  https://docs.github.com/en/rest/issues/issues#list-repository-issues,
  https://docs.github.com/en/rest/pulls/pulls#list-pull-requests,
  https://docs.github.com/en/rest/commits/commits#list-commits,
  https://docs.github.com/en/rest/branches/branches#list-branches;
* paging - `per_page` (default 30, at most 100) and `page`, with `Link: <...>; rel="next"`,
  "last", "first", "prev" (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api);
* auth - `Authorization: Bearer|token <token>` or HTTP basic with a personal access token; a bad
  one is 401 `{"message": "Bad credentials", ...}`; a repository the caller cannot see is 404
  "Not Found" (https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api);
* versions - `X-GitHub-Api-Version` 2022-11-28 (default) or 2026-03-10, anything else 400
  (https://docs.github.com/en/rest/about-the-rest-api/api-versions);
* rate limits - `x-ratelimit-limit/-remaining/-used/-reset/-resource` on every answer; primary
  limit 403 with remaining 0, secondary limit 403 with `retry-after` (or none) and the "secondary
  rate limit" message (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
* OAuth - POST /login/oauth/access_token (authorization code and refresh_token grants; errors
  answered 200 with `error`, `error_description`), JSON with `Accept: application/json`
  (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
  https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, overload
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import seed
from .state import RATE_LIMIT, GitHubState

DOCS = "https://docs.github.com/rest"
VERSIONS = ("2022-11-28", "2026-03-10")
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID 0000:1111:2222.")


def _error(status: int, message: str, doc: str = DOCS, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, "documentation_url": doc, "status": str(status), **extra},
                        status_code=status, headers=headers)


def _time(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Newest(Sequence[dict[str, Any]]):
    """Every issue of `repos` newest first (as GitHub's default sort: created, descending), generated
    only for the page asked for, so a fake with 100k+ issues pages in constant time."""

    def __init__(self, state: GitHubState, repos: list[seed.Repo], with_repository: bool) -> None:
        self.state, self.repos, self.with_repository = state, repos, with_repository

    def __len__(self) -> int:
        return self.state.issues * len(self.repos)

    def one(self, index: int) -> dict[str, Any]:
        # Creation time grows with the number, then with the repository's index.
        count = len(self.repos)
        repo = self.repos[count - 1 - index % count]
        record = self.state.issue_at(repo, self.state.issues - index // count)
        return {**record, "repository": repo.record()} if self.with_repository else record

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self.one(i) for i in range(*index.indices(len(self)))]
        return self.one(index)


def _plain(request: Request) -> bool:
    """True when an issues list asks for every issue in the default order (no filter to apply)."""
    query = request.query_params
    return (query.get("state") == "all" and not query.get("since") and query.get("sort", "created") == "created"
            and query.get("direction", "desc") == "desc" and query.get("filter", "all") in ("all", "repos"))


class Invalid(Exception):
    """A query parameter GitHub would refuse (422)."""


def _since(request: Request, name: str = "since") -> float | None:
    try:
        return _time(request.query_params.get(name))
    except ValueError:
        raise Invalid(f"{name} must be an ISO 8601 timestamp") from None


def answer(request: Request, data: Any, headers: dict[str, str] | None = None) -> Response:
    """`data` as JSON, its API URLs on the host the request came to (as GitHub names its own)."""
    base = f"{request.url.scheme}://{request.url.netloc}"
    body = json.dumps(data, ensure_ascii=False).replace(seed.API, base)
    return Response(body, media_type="application/json; charset=utf-8", headers=headers)


def build_app(state: GitHubState) -> Starlette:
    """The Starlette app serving `state`."""

    def guard(request: Request, anonymous: bool = False) -> tuple[str | None, Response | None]:
        """Log, check the API version, throttle and authenticate; (login, refusal)."""
        state.log.add(request.method, request.url.path, parse_qs(request.url.query))
        version = request.headers.get("x-github-api-version")
        state.media.append((request.headers.get("accept"), version))
        if version is not None and version not in VERSIONS:
            return None, _error(400, f"API version '{version}' is not supported.",
                                f"{DOCS}/about-the-rest-api/api-versions")
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        login: str | None = None
        if header:
            if scheme.lower() in ("bearer", "token"):
                login = state.login_for_bearer(value.strip())
            elif scheme.lower() == "basic":
                try:
                    username, _, password = base64.b64decode(value.strip()).decode().partition(":")
                except ValueError:
                    username = password = ""
                login = state.login_for_basic(username, password)
            if login is None:
                return None, _error(401, "Bad credentials")
        elif not anonymous:
            return None, _error(401, "Requires authentication",
                                f"{DOCS}/users/users#get-the-authenticated-user")
        throttle = state.take_throttle()
        # Rate-limit resets are wall-clock epoch seconds, whatever clock stamps the records.
        now = time.time()
        if throttle is not None and throttle.kind == "primary":
            reset = int(now + throttle.reset_in)
            return login, _error(403, f"API rate limit exceeded for user ID {1000}.",
                                 f"{DOCS}/overview/rate-limits-for-the-rest-api",
                                 headers={"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-remaining": "0",
                                          "x-ratelimit-used": str(RATE_LIMIT), "x-ratelimit-reset": str(reset),
                                          "x-ratelimit-resource": "core"})
        if throttle is not None:
            headers = {} if throttle.retry_after is None else {"retry-after": str(int(throttle.retry_after))}
            return login, _error(403, SECONDARY_MESSAGE,
                                 f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                                 headers=headers)
        return login, None

    def rate_headers(login: str | None) -> dict[str, str]:
        used, remaining = state.count_use(login or "anonymous")
        return {"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-used": str(used), "x-ratelimit-reset": str(int(time.time()) + 3600),
                "x-ratelimit-resource": "core", "x-github-api-version-selected": VERSIONS[0]}

    def paged(request: Request, items: Sequence[dict[str, Any]], login: str | None) -> Response:
        """One page of `items` with GitHub's Link header."""
        try:
            per_page = min(100, max(1, int(request.query_params.get("per_page", 30))))
            page = max(1, int(request.query_params.get("page", 1)))
        except ValueError:
            return _error(422, "Invalid request.\n\nper_page and page must be integers.")
        last = max(1, -(-len(items) // per_page))
        headers = rate_headers(login)
        links = []
        base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"

        def link(number: int, rel: str) -> str:
            query = {k: v for k, v in request.query_params.items() if k != "page"}
            query["page"] = str(number)
            return f'<{base}?{urlencode(query)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first")]
        if links:
            headers["Link"] = ", ".join(links)
        chunk = list(items[(page - 1) * per_page: page * per_page])
        return answer(request, chunk, headers)

    def endpoint(handler: Callable[[Request, str | None], Response], anonymous: bool = False) -> Callable[..., Any]:
        async def run(request: Request) -> Response:
            login, refusal = guard(request, anonymous)
            if refusal is not None:
                return refusal
            try:
                return handler(request, login)
            except Invalid as exc:
                return _error(422, "Validation Failed", errors=[{"resource": "Search", "code": "invalid",
                                                                "message": str(exc)}])
        return run

    def the_user(request: Request, login: str | None) -> Response:
        index = seed.LOGINS.index(login) if login in seed.LOGINS else 0
        return answer(request, {**seed.user(index), "login": login, "name": seed.NAMES[index],
                                "email": None, "bio": "Fake GitHub user — für Tests"}, rate_headers(login))

    def user_repos(request: Request, login: str | None) -> Response:
        assert login is not None
        visibility = request.query_params.get("visibility", "all")
        since, before = _since(request), _since(request, "before")
        records = []
        for repo in state.visible(login):
            if visibility != "all" and (visibility == "private") != repo.private:
                continue
            record = repo.record()
            updated = _time(record["updated_at"]) or 0
            if (since is not None and updated < since) or (before is not None and updated > before):
                continue
            records.append(record)
        sort = request.query_params.get("sort", "full_name")
        key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}.get(sort, "full_name")
        default = "asc" if key == "full_name" else "desc"
        records.sort(key=lambda r: r[key], reverse=request.query_params.get("direction", default) == "desc")
        return paged(request, records, login)

    def issue_filter(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        state_param = request.query_params.get("state", "open")
        if state_param not in ("open", "closed", "all"):
            raise Invalid("state must be open, closed or all")
        since = _since(request)
        found = [r for r in records if (state_param == "all" or r["state"] == state_param)
                 and (since is None or (_time(r["updated_at"]) or 0) >= since)]
        sort = request.query_params.get("sort", "created")
        key = {"updated": "updated_at", "comments": "comments"}.get(sort, "created_at")
        found.sort(key=lambda r: r[key], reverse=request.query_params.get("direction", "desc") == "desc")
        return found

    def user_issues(request: Request, login: str | None) -> Response:
        assert login is not None
        which = request.query_params.get("filter", "assigned")
        if _plain(request) and which in ("all", "repos"):
            return paged(request, Newest(state, state.visible(login), with_repository=True), login)
        records = []
        for repo in state.visible(login):
            full = repo.record()
            for record in state.repo_issues(repo):
                if which == "assigned" and login not in [a["login"] for a in record["assignees"]]:
                    continue
                if which == "created" and record["user"]["login"] != login:
                    continue
                records.append({**record, "repository": full})
        return paged(request, issue_filter(request, records), login)

    def find_repo(request: Request, login: str | None) -> seed.Repo | None:
        return state.repo(request.path_params["owner"], request.path_params["repo"], login or "")

    def not_found() -> Response:
        return _error(404, "Not Found", f"{DOCS}/repos/repos#get-a-repository")

    def get_repo(request: Request, login: str | None) -> Response:
        repo = find_repo(request, login)
        return not_found() if repo is None else answer(request, repo.record(), rate_headers(login))

    def repo_issues(request: Request, login: str | None) -> Response:
        repo = find_repo(request, login)
        if repo is None:
            return not_found()
        if _plain(request):
            return paged(request, Newest(state, [repo], with_repository=False), login)
        return paged(request, issue_filter(request, state.repo_issues(repo)), login)

    def repo_pulls(request: Request, login: str | None) -> Response:
        repo = find_repo(request, login)
        if repo is None:
            return not_found()
        state_param = request.query_params.get("state", "open")
        if state_param not in ("open", "closed", "all"):
            raise Invalid("state must be open, closed or all")
        records = [p for p in state.repo_pulls(repo) if state_param == "all" or p["state"] == state_param]
        sort = request.query_params.get("sort", "created")
        key = "updated_at" if sort == "updated" else "created_at"
        records.sort(key=lambda r: r[key], reverse=request.query_params.get("direction", "desc") == "desc")
        return paged(request, records, login)

    def repo_commits(request: Request, login: str | None) -> Response:
        repo = find_repo(request, login)
        if repo is None:
            return not_found()
        since, until = _since(request), _since(request, "until")
        records = [c for c in state.repo_commits(repo)
                   if (since is None or (_time(c["commit"]["committer"]["date"]) or 0) >= since)
                   and (until is None or (_time(c["commit"]["committer"]["date"]) or 0) <= until)]
        return paged(request, records, login)

    def repo_branches(request: Request, login: str | None) -> Response:
        repo = find_repo(request, login)
        if repo is None:
            return not_found()
        commits = state.repo_commits(repo)
        records = seed.branches(repo, commits[0]["sha"] if commits else "0" * 40)
        protected = request.query_params.get("protected")
        if protected in ("true", "false"):
            records = [b for b in records if b["protected"] == (protected == "true")]
        return paged(request, records, login)

    async def access_token(request: Request) -> Response:
        state.log.add(request.method, request.url.path, parse_qs(request.url.query))
        raw = await request.body()
        values: dict[str, Any] = {k: v[0] for k, v in parse_qs(request.url.query).items()}
        if request.headers.get("content-type", "").startswith("application/json") and raw:
            values.update(json.loads(raw))
        else:
            values.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        client_id, secret = str(values.get("client_id") or ""), str(values.get("client_secret") or "")
        if values.get("grant_type") == "refresh_token":
            answer = state.refresh(client_id, secret, str(values.get("refresh_token") or ""))
        else:
            answer = state.exchange(client_id, secret, str(values.get("code") or ""))
        if "json" in request.headers.get("accept", ""):
            return JSONResponse(answer)
        return Response(urlencode(answer), media_type="application/x-www-form-urlencoded")

    repo_path = "/repos/{owner}/{repo}"
    return Starlette(routes=[
        Route("/user", endpoint(the_user)),
        Route("/user/repos", endpoint(user_repos)),
        Route("/issues", endpoint(user_issues)),
        Route(repo_path, endpoint(get_repo, anonymous=True)),
        Route(f"{repo_path}/issues", endpoint(repo_issues, anonymous=True)),
        Route(f"{repo_path}/pulls", endpoint(repo_pulls, anonymous=True)),
        Route(f"{repo_path}/commits", endpoint(repo_commits, anonymous=True)),
        Route(f"{repo_path}/branches", endpoint(repo_branches, anonymous=True)),
        Route("/login/oauth/access_token", access_token, methods=["POST"]),
    ])
