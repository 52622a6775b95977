"""The fields of GitHub's objects, as the REST API v3 names them (connectors layer, GitHub).

Declared from GitHub's response schemas (https://docs.github.com/en/rest/issues/issues,
.../pulls/pulls, .../commits/commits, .../branches/branches, .../repos/repos): the documented
nested objects stay Arrow structs and lists (a user is `{login, id, node_id, type, site_admin,
html_url}`), free-form ones (a milestone, a license) keep the members readers use. Each object's
change time is marked as its incremental timestamp: `updated_at`, or a commit's
`commit.committer.date` (the field GitHub's `since`/`until` filter on).
"""

from __future__ import annotations

from sluice.connectors.rest.entities import Field

STATES = ("open", "closed")


def _user(name: str) -> Field:
    return Field(name, "struct", members=(
        Field("login"), Field("id", "integer"), Field("node_id"), Field("type"), Field("site_admin", "boolean"),
        Field("html_url")))


LABEL = Field("", "struct", members=(Field("id", "integer"), Field("name"), Field("color"), Field("description"),
                                     Field("default", "boolean")))
MILESTONE = Field("milestone", "struct", members=(
    Field("id", "integer"), Field("number", "integer"), Field("title"), Field("state"),
    Field("due_on", "datetime"), Field("closed_at", "datetime")))
REPOSITORY_REF = Field("repository", "struct", members=(
    Field("id", "integer"), Field("name"), Field("full_name"), Field("private", "boolean"), _user("owner")))

ISSUE = (
    Field("id", "integer", primary_key=True, nullable=False),
    Field("node_id"),
    Field("number", "integer"),
    Field("title"),
    Field("state", values=STATES),
    Field("state_reason"),
    Field("locked", "boolean"),
    _user("user"),
    Field("labels", "array", item=LABEL),
    _user("assignee"),
    Field("assignees", "array", item=_user("")),
    MILESTONE,
    Field("comments", "integer"),
    Field("author_association"),
    Field("body"),
    Field("pull_request", "struct", members=(Field("url"), Field("html_url"), Field("merged_at", "datetime"))),
    Field("repository_url"),
    Field("html_url"),
    Field("created_at", "datetime"),
    Field("updated_at", "datetime", timestamp=True),
    Field("closed_at", "datetime"),
)
# GET /issues answers issues of many repositories: each names its repository.
USER_ISSUE = (*ISSUE, REPOSITORY_REF)

_REF = (Field("label"), Field("ref"), Field("sha"))
PULL = (
    Field("id", "integer", primary_key=True, nullable=False),
    Field("node_id"),
    Field("number", "integer"),
    Field("state", values=STATES),
    Field("title"),
    Field("locked", "boolean"),
    Field("draft", "boolean"),
    _user("user"),
    Field("body"),
    Field("labels", "array", item=LABEL),
    _user("assignee"),
    Field("assignees", "array", item=_user("")),
    Field("requested_reviewers", "array", item=_user("")),
    MILESTONE,
    Field("head", "struct", members=_REF),
    Field("base", "struct", members=_REF),
    Field("merge_commit_sha"),
    Field("author_association"),
    Field("html_url"),
    Field("created_at", "datetime"),
    Field("updated_at", "datetime", timestamp=True),
    Field("closed_at", "datetime"),
    Field("merged_at", "datetime"),
)

_SIGNATURE = (Field("name"), Field("email"), Field("date", "datetime"))
COMMIT = (
    Field("sha", primary_key=True, nullable=False),
    Field("node_id"),
    Field("commit", "struct", members=(
        Field("message"), Field("author", "struct", members=_SIGNATURE),
        Field("committer", "struct", members=_SIGNATURE),
        Field("comment_count", "integer"), Field("tree", "struct", members=(Field("sha"), Field("url"))),
        Field("verification", "struct", members=(Field("verified", "boolean"), Field("reason"))))),
    # The commit's committer date as its own column: what `since`/`until` compare, so a flow can
    # filter and pull incrementally on it.
    Field("commit.committer.date", "datetime", path="commit.committer.date", timestamp=True,
          label="Committer date"),
    _user("author"),
    _user("committer"),
    Field("parents", "array", item=Field("", "struct", members=(Field("sha"), Field("url"), Field("html_url")))),
    Field("html_url"),
)

BRANCH = (
    Field("name", primary_key=True, nullable=False),
    Field("commit", "struct", members=(Field("sha"), Field("url"))),
    Field("protected", "boolean"),
)

REPOSITORY = (
    Field("id", "integer", primary_key=True, nullable=False),
    Field("node_id"),
    Field("name"),
    Field("full_name"),
    Field("private", "boolean"),
    Field("visibility", values=("public", "private", "internal")),
    _user("owner"),
    Field("html_url"),
    Field("description"),
    Field("fork", "boolean"),
    Field("homepage"),
    Field("language"),
    Field("topics", "array", item=Field("")),
    Field("license", "struct", members=(Field("key"), Field("name"), Field("spdx_id"))),
    Field("archived", "boolean"),
    Field("default_branch"),
    Field("size", "integer"),
    Field("stargazers_count", "integer"),
    Field("watchers_count", "integer"),
    Field("forks_count", "integer"),
    Field("open_issues_count", "integer"),
    Field("created_at", "datetime"),
    Field("updated_at", "datetime", timestamp=True),
    Field("pushed_at", "datetime"),
)
