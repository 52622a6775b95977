"""GitHub's objects, named by their REST paths (connectors layer, GitHub).

AppFlow's GitHub connector is an SDK connector whose objects a flow names in `entityName`
(cdk-appflow's GitHub source passes it through as is). Sluice names each by the GitHub REST path
that lists it, relative to the API root, the way the other managed connectors name theirs
(`properties/{id}/...` for Google Analytics 4): one list per path, and a repository's objects
under that repository. `ListConnectorEntities`:

* top level - `issues` (GET /issues: issues and pull requests across every repository the
  user can see, `filter=all`), `user/repos` (GET /user/repos: the user's repositories), and one
  folder `repos/{owner}/{repo}` per repository the token can see (`hasNestedEntities`);
* `entitiesPath=repos/{owner}/{repo}` - `repos/{owner}/{repo}/issues`, `.../pulls`,
  `.../commits`, `.../branches`.

Push-down (`plan`): `state` EQUAL_TO on issues and pull requests (otherwise `state=all`, since
GitHub answers only open ones by default); the incremental window and `updated_at` lower bounds
as `since` (issues, repositories; GitHub compares updated time), `commit.committer.date` bounds as
`since`/`until` (commits); `visibility` on repositories; `protected` on branches. Pull requests
have no `since`: they are read newest-updated first and the read stops at the first page older
than the window. Pages are `per_page=100` with `Link: <...>; rel="next"`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil, floor
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Answer, Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import LinkHeader
from sluice.literals import parse_micros

from . import fields

PAGES = LinkHeader(size_param="per_page", size=100)
_SEGMENT = r"[A-Za-z0-9_.-]+"
_REPO = re.compile(rf"repos/({_SEGMENT})/({_SEGMENT})")
_REPO_OBJECT = re.compile(rf"repos/({_SEGMENT})/({_SEGMENT})/(issues|pulls|commits|branches)")


def iso(seconds: float, up: bool = False) -> str:
    """GitHub's timestamp form (ISO 8601, UTC, whole seconds), rounded down (or up)."""
    whole = ceil(seconds) if up else floor(seconds)
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state(query: Query) -> str:
    """`open`, `closed` or `all` from the Filter comparisons on `state`."""
    for condition in query.on("state"):
        values = {v.strip().lower() for v in condition.values}
        if condition.operator == "EQUAL_TO" and len(values) == 1 and values <= set(fields.STATES):
            return values.pop()
        if condition.operator == "NOT_EQUAL_TO" and len(values) == 1 and values <= set(fields.STATES):
            return next(iter(set(fields.STATES) - values))
    return "all"


def _equals(query: Query, name: str) -> str | None:
    for condition in query.on(name):
        if condition.operator == "EQUAL_TO" and len(condition.values) == 1:
            return condition.values[0].strip().lower()
    return None


def _since(query: Query, field: str, upper_param: str | None = None) -> dict[str, str]:
    """`since` = the lower end of the query's time range on `field`, and `upper_param` = its upper end
    (rounded up; only when `upper_param` is given)."""
    lower, upper = query.time_range(field)
    params: dict[str, str] = {}
    if lower is not None:
        params["since"] = iso(lower)
    if upper is not None and upper_param:
        params[upper_param] = iso(upper, up=True)
    return params


def plan_issues(query: Query, request: Request) -> Request:
    """`state` and `since` (updated at or after) for GET /issues and a repository's issues."""
    return request.replace(params={**request.params, "state": _state(query), **_since(query, "updated_at")})


def plan_pulls(query: Query, request: Request) -> Request:
    """`state`; newest-updated first, so a windowed read can stop early (`read_pulls`)."""
    return request.replace(params={**request.params, "state": _state(query), "sort": "updated",
                                   "direction": "desc"})


def plan_commits(query: Query, request: Request) -> Request:
    """`since` / `until` on the committer date."""
    return request.replace(params={**request.params, **_since(query, "commit.committer.date", "until")})


def plan_branches(query: Query, request: Request) -> Request:
    """`protected=true|false`."""
    protected = _equals(query, "protected")
    if protected in ("true", "false"):
        return request.replace(params={**request.params, "protected": protected})
    return request


def plan_repositories(query: Query, request: Request) -> Request:
    """`since` / `before` on the update time, and `visibility`."""
    params = {**request.params, **_since(query, "updated_at", "before")}
    visibility = _equals(query, "visibility")
    if visibility in ("public", "private"):
        params["visibility"] = visibility
    return request.replace(params=params)


@dataclass(frozen=True)
class UpdatedSince:
    """Link-header paging over a newest-updated-first list that ends once a page reaches `lower`."""

    lower: float | None

    def first(self, request: Request) -> Request:
        return PAGES.first(request)

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        body = answer.body
        if self.lower is not None and isinstance(body, list) and body and isinstance(body[-1], Mapping):
            oldest = parse_micros(str(body[-1].get("updated_at") or ""))
            if oldest is not None and oldest / 1_000_000 <= self.lower:
                return None
        return PAGES.next(request, answer, records)


def read_pulls(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """A repository's pull requests, stopping at the first page older than the window."""
    lower, _ = query.time_range("updated_at")
    yield from read_pages(client, request, UpdatedSince(lower), "", query.entity)


def _entity(name: str, label: str, path: str, declared: tuple[Field, ...],
            plan: Callable[[Query, Request], Request], **extra: Any) -> Entity:
    return Entity(name, label=label, path=path, fields=declared, paginator=PAGES, plan=plan, **extra)


USER_ISSUES = _entity("issues", "Issues", "/issues", fields.USER_ISSUE, plan_issues,
                      description="Issues and pull requests across the repositories the user can see",
                      params={"filter": "all"})
USER_REPOS = _entity("user/repos", "Repositories", "/user/repos", fields.REPOSITORY, plan_repositories,
                     description="Repositories the user owns, collaborates on or reaches through an organization")
TOP = (USER_ISSUES, USER_REPOS)


def repository_objects(owner: str, repo: str) -> tuple[Entity, ...]:
    """The objects of one repository."""
    base = f"repos/{owner}/{repo}"
    full = f"{owner}/{repo}"
    return (
        _entity(f"{base}/issues", f"Issues of {full}", f"/{base}/issues", fields.ISSUE, plan_issues,
                description=f"Issues and pull requests of {full}"),
        _entity(f"{base}/pulls", f"Pull requests of {full}", f"/{base}/pulls", fields.PULL, plan_pulls,
                read=read_pulls),
        _entity(f"{base}/commits", f"Commits of {full}", f"/{base}/commits", fields.COMMIT, plan_commits,
                description=f"Commits of the default branch of {full}"),
        _entity(f"{base}/branches", f"Branches of {full}", f"/{base}/branches", fields.BRANCH, plan_branches),
    )


def repository_folder(full_name: str, description: str = "") -> Entity:
    """A repository as a folder of objects."""
    return Entity(f"repos/{full_name}", label=full_name, description=description, has_children=True,
                  readable=False)


class GitHubCatalog:
    """The `Catalog` of the GitHub connector (see the module docstring)."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            match = _REPO.fullmatch(parent.strip("/"))
            if match is None:
                raise ConnectorError("ResourceNotFound", f"GitHub has no folder {parent!r} in Sluice's catalog "
                                     "(folders are repos/{owner}/{repo})")
            return list(repository_objects(*match.groups()))
        folders = []
        request = PAGES.first(Request("GET", "/user/repos", {"sort": "full_name"}))
        for page in read_pages(client, request, PAGES, "", "user/repos"):
            for repo in page.records:
                if isinstance(repo, Mapping) and repo.get("full_name"):
                    folders.append(repository_folder(str(repo["full_name"]), str(repo.get("description") or "")))
        return [*TOP, *folders]

    def entity(self, client: RestClient, name: str) -> Entity:
        key = name.strip("/")
        for entity in TOP:
            if entity.name == key:
                return entity
        match = _REPO_OBJECT.fullmatch(key)
        if match is not None:
            owner, repo, kind = match.groups()
            return next(e for e in repository_objects(owner, repo) if e.name.endswith(f"/{kind}"))
        match = _REPO.fullmatch(key)
        if match is not None:
            return repository_folder("/".join(match.groups()))
        raise ConnectorError("ResourceNotFound", f"GitHub has no object {name!r} in Sluice's catalog (objects are "
                             "issues, user/repos and repos/{owner}/{repo}/issues|pulls|commits|branches)")


CATALOG = GitHubCatalog()

