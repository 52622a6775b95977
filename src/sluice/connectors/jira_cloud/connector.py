"""The Jira Cloud connector: objects, paging and push-down (connectors layer, Jira Cloud).

Objects (REST API v2 as AppFlow's connector uses it - api.py `REST`;
https://developer.atlassian.com/cloud/jira/platform/rest/v2/):

* `issues` - the enhanced JQL search, `POST /rest/api/2/search/jql` with `jql`, `fields`,
  `maxResults` and `nextPageToken` (api-group-issue-search); the flow's filters and incremental
  window become the JQL (jql.py) and its projection the `fields` list; columns come from the
  site's field list (fields.py), custom fields included;
* `projects` - `GET /rest/api/2/project/search` paged by `startAt` / `maxResults` until `isLast`
  (api-group-projects), with `expand=description,lead`; EQUAL_TO on `key` / `projectTypeKey`
  becomes `keys` / `typeKey`;
* `users` - `GET /rest/api/2/users/search` paged by `startAt` / `maxResults` until an empty page
  (api-group-users: a page may hold fewer users than asked for while more follow).

`JiraConnector` routes each client to the site's gateway URL first (api.py `route`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Answer, Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Page, Query, Static
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import Cursor, body_path

from . import jql
from .api import API, REST, route
from .fields import FIXED, read_issue_fields

SEARCH_PAGE = 100
_FIXED = {f.name for f in FIXED}


@dataclass(frozen=True)
class StartAt:
    """`startAt` / `maxResults` paging, ending when `last_path` is true or a page is empty."""

    size: int = 50
    last_path: str = ""

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, "startAt": 0, "maxResults": self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        if records == 0 or (self.last_path and body_path(answer.body, self.last_path)):
            return None
        start = int(request.params.get("startAt", 0)) + records
        return request.replace(params={**request.params, "startAt": start})


def issue_columns(client: RestClient, entity: Entity) -> list[Field]:
    """The site's issue columns."""
    return list(read_issue_fields(client).fields)


def read_issues(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """The issues matching the run's JQL, `SEARCH_PAGE` at a time."""
    site = read_issue_fields(client)
    me = client.json(Request("GET", f"{REST}/myself")) or {}
    zone = jql.zone_of(me.get("timeZone") if isinstance(me, Mapping) else None)
    search = jql.jql(jql.clauses_for(query, site.clause_of, site.kinds, zone))
    wanted = [c for c in query.columns if c not in _FIXED] or ["id"]
    client.report("source_opened", f"Jira Cloud search: {search}")
    first = Request("POST", f"{REST}/search/jql", idempotent=True,
                    json={"jql": search, "fields": wanted, "maxResults": SEARCH_PAGE})
    yield from read_pages(client, first, Cursor("nextPageToken", body_member="nextPageToken"), "issues", "issues")


def plan_projects(query: Query, request: Request) -> Request:
    """EQUAL_TO on `key` -> `keys`, on `projectTypeKey` -> `typeKey`."""
    params = dict(request.params)
    for column, param in (("key", "keys"), ("projectTypeKey", "typeKey")):
        value = query.equal_to(column)
        if value is not None:
            params[param] = value
    return request.replace(params=params)


ISSUES = Entity("issues", label="Issues", description="Jira issues (enhanced JQL search)",
                path=f"{REST}/search/jql", records="issues", fields=FIXED, describe=issue_columns,
                read=read_issues)

PROJECTS = Entity(
    "projects", label="Projects", description="Jira projects", path=f"{REST}/project/search",
    params={"expand": "description,lead"}, records="values", paginator=StartAt(50, "isLast"), plan=plan_projects,
    fields=(Field("id", primary_key=True, nullable=False), Field("key"), Field("name"), Field("self"),
            Field("projectTypeKey"), Field("simplified", "boolean"), Field("style"), Field("isPrivate", "boolean"),
            Field("description"), Field("lead", path="lead.accountId", description="The lead's account ID"),
            Field("projectCategory", "struct", members=(Field("id"), Field("name"), Field("description"))),
            Field("avatarUrls", "json"), Field("uuid")))

USERS = Entity(
    "users", label="Users", description="Jira users", path=f"{REST}/users/search", records="",
    paginator=StartAt(100),
    fields=(Field("accountId", primary_key=True, nullable=False), Field("accountType"), Field("displayName"),
            Field("emailAddress"), Field("active", "boolean"), Field("timeZone"), Field("locale"), Field("self"),
            Field("avatarUrls", "json")))

CATALOG = Static((ISSUES, PROJECTS, USERS), vendor="Jira Cloud")


def check(client: RestClient) -> None:
    """The profile check: the token reaches the site (`/myself`)."""
    route(client)
    client.json(Request("GET", f"{REST}/myself"))


@dataclass(frozen=True)
class JiraConnector(ManagedRestConnector):
    """Routes every client to the site's API gateway URL before use."""

    def client(self, profile: ProfileView, ctx: RunContext | None = None) -> RestClient:
        client = super().client(profile, ctx)
        try:
            route(client)
        except BaseException:
            client.close()
            raise
        return client


CONNECTOR = JiraConnector(API, CATALOG, operators=frozenset(BY_LABEL["JiraCloud"].configuration["supportedOperators"]),
                          check=check)
