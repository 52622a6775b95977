"""The Asana objects AppFlow lists, with Asana's own names (connectors layer, Asana).

AppFlow's Asana page (https://docs.aws.amazon.com/appflow/latest/userguide/connectors-asana.html,
"Supported objects") lists Audit Log Event, Goal, Portfolio, Project, Section, Tag, Task, Team,
User and Workspace, with Asana's property names as fields (`gid`, `modified_at`, ...);
cdk-appflow's stack reads `projects`, the API's collection name. So entities are named by their
collection (`workspaces`, `projects`, `tasks`, ...), labelled as AppFlow labels them, with AppFlow's
data types as `fieldType` and its filter operators. Nested compact records (an assignee, a
workspace) are structs of `gid`, `name`, `resource_type`. Portfolios are the token user's own (`owner=me`:
Asana lists no one else's to a user token); the audit log is read from organizations only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sluice.connectors.rest.entities import Entity, Field, Static

from .reads import PAGES, Fanout, Level, PushDown

AWS_TYPES = {"string": "String", "integer": "Integer", "double": "Float", "boolean": "Boolean",
             "datetime": "DateTime", "date": "Date", "struct": "Struct", "array": "List", "json": "Struct"}
EQUAL = ("EQUAL_TO",)
RANGE = ("LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO")
DAYS = ("EQUAL_TO", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO")


def _f(name: str, kind: str = "string", filters: tuple[str, ...] = (), **options: Any) -> Field:
    return Field(name, kind, label=options.pop("label", name), filters=filters, vendor_type=AWS_TYPES[kind], **options)


def compact(name: str) -> Field:
    """A nested compact record."""
    return _f(name, "struct", members=(_f("gid"), _f("name"), _f("resource_type")))


def compacts(name: str) -> Field:
    """A list of compact records."""
    return _f(name, "array", item=compact(""))


def _is_compact(f: Field) -> bool:
    inner = f.item if f.type == "array" and f.item is not None else f
    return inner.type == "struct" and {m.name for m in inner.members} == {"gid", "name", "resource_type"}


def naming(entity: Entity) -> Entity:
    """The entity with its `PushDown` asking for the `name` of its compact-record columns."""
    assert isinstance(entity.plan, PushDown)
    named = frozenset(f.name for f in entity.fields if _is_compact(f))
    return replace(entity, plan=replace(entity.plan, named=named))


GID = _f("gid", primary_key=True, nullable=False)
NAME, RESOURCE_TYPE = _f("name"), _f("resource_type")
CREATED = _f("created_at", "datetime")
WORKSPACE = compact("workspace")
BY_WORKSPACE = (Level("/workspaces"),)
# Teams and the audit log exist in organizations only.
ORGANIZATIONS = (Level("/workspaces", opt_fields="gid,is_organization", keep=lambda w: bool(w.get("is_organization"))),)
BY_PROJECT = (Level("/workspaces"), Level("/projects", {"workspace": "{0}"}))

WORKSPACES = Entity(
    "workspaces", label="Workspace", path="/workspaces", records="data", paginator=PAGES, plan=PushDown(),
    fields=(GID, _f("email_domains", "array", item=_f("")), _f("is_organization", "boolean"), NAME, RESOURCE_TYPE))

USERS = Entity(
    "users", label="User", path="/users", params={"workspace": "{0}"}, records="data", paginator=PAGES,
    plan=PushDown(), read=Fanout(BY_WORKSPACE, unique=True),
    fields=(GID, _f("email"), NAME, _f("photo", "struct", members=(_f("image_21x21"), _f("image_60x60"),
                                                                    _f("image_128x128"))),
            RESOURCE_TYPE, compacts("workspaces")))

TEAMS = Entity(
    "teams", label="Team", path="/workspaces/{0}/teams", records="data", paginator=PAGES, plan=PushDown(),
    read=Fanout(ORGANIZATIONS),
    fields=(GID, _f("description"), _f("html_description"), NAME, compact("organization"), _f("permalink_url"),
            RESOURCE_TYPE, _f("visibility", values=("secret", "request_to_join", "public"))))

PROJECTS = Entity(
    "projects", label="Project", path="/projects", params={"workspace": "{0}"}, records="data", paginator=PAGES,
    plan=PushDown(flags={"archived": "archived"}), read=Fanout(BY_WORKSPACE),
    fields=(GID, _f("archived", "boolean", EQUAL), _f("color"), _f("completed", "boolean"),
            _f("completed_at", "datetime"), compact("completed_by"), CREATED, _f("created_from_template", "json"),
            _f("current_status", "json"), _f("current_status_update", "json"),
            _f("custom_field_settings", "json"), _f("custom_fields", "json"), _f("default_view"),
            _f("due_date", "date"), _f("due_on", "date"), compacts("followers"), _f("html_notes"), _f("icon"),
            _f("is_template", "boolean"), compacts("members"), _f("modified_at", "datetime"), NAME, _f("notes"),
            compact("owner"), _f("permalink_url"), _f("public", "boolean"), RESOURCE_TYPE, _f("start_on", "date"),
            compact("team"), WORKSPACE))

SECTIONS = Entity(
    "sections", label="Section", path="/projects/{1}/sections", records="data", paginator=PAGES, plan=PushDown(),
    read=Fanout(BY_PROJECT), fields=(CREATED, GID, NAME, compact("project"), RESOURCE_TYPE))

TAGS = Entity(
    "tags", label="Tag", path="/tags", params={"workspace": "{0}"}, records="data", paginator=PAGES,
    plan=PushDown(), read=Fanout(BY_WORKSPACE),
    fields=(_f("color"), CREATED, compacts("followers"), GID, NAME, _f("notes"), _f("permalink_url"), RESOURCE_TYPE,
            WORKSPACE))

TASKS = Entity(
    "tasks", label="Task", path="/tasks", params={"project": "{1}"}, records="data", paginator=PAGES,
    plan=PushDown(since={"modified_at": "modified_since"}), read=Fanout(BY_PROJECT, unique=True),
    fields=(_f("approval_status"), compact("assignee"), compact("assignee_section"), _f("assignee_status"),
            _f("completed", "boolean", EQUAL), _f("completed_at", "datetime", RANGE), compact("completed_by"),
            _f("completed_on", "date", DAYS), CREATED, _f("custom_fields", "json"), compacts("dependencies"),
            compacts("dependents"), _f("due_at", "datetime", RANGE), _f("due_on", "date", DAYS),
            _f("external", "json"), compacts("followers"), GID, _f("has_attachment", "boolean", EQUAL),
            _f("hearted", "boolean"), compacts("hearts"), _f("html_notes"), _f("is_blocked", "boolean", EQUAL),
            _f("is_blocking", "boolean", EQUAL), _f("is_rendered_as_separator", "boolean"),
            _f("is_subtask", "boolean", EQUAL), _f("liked", "boolean"), compacts("likes"),
            _f("memberships", "json"), _f("modified_at", "datetime", RANGE, timestamp=True),
            _f("modified_on", "date", DAYS), NAME, _f("notes"), _f("num_hearts", "integer"),
            _f("num_likes", "integer"), _f("num_subtasks", "integer"), compact("parent"), _f("permalink_url"),
            compacts("projects"), _f("resource_subtype", filters=EQUAL), RESOURCE_TYPE, _f("start_at", "datetime"),
            _f("start_on", "date", DAYS), compacts("tags"), WORKSPACE))

AUDIT_LOG_EVENTS = Entity(
    "audit_log_events", label="Audit Log Event", path="/workspaces/{0}/audit_log_events", records="data",
    paginator=PAGES, plan=PushDown(opt_fields=False, ranges={"created_at": ("start_at", "end_at")},
                                   equals={"event_type": "event_type", "actor_type": "actor_type"}),
    read=Fanout(ORGANIZATIONS),
    fields=(_f("actor", "struct", members=(_f("actor_type"), _f("gid"), _f("name"), _f("email"))),
            _f("actor_type", filters=EQUAL, path="actor.actor_type"),
            _f("context", "struct", members=(_f("context_type"), _f("api_authentication_method"),
                                             _f("client_ip_address"), _f("user_agent"), _f("oauth_app_name"))),
            _f("created_at", "datetime", RANGE, timestamp=True), _f("details", "json"), _f("event_category"),
            _f("event_type", filters=EQUAL), GID,
            _f("resource", "struct", members=(_f("resource_type"), _f("resource_subtype"), _f("gid"), _f("name"),
                                              _f("email")))))

GOALS = Entity(
    "goals", label="Goal", path="/goals", params={"workspace": "{0}"}, records="data", paginator=PAGES,
    plan=PushDown(flags={"is_workspace_level": "is_workspace_level"}), read=Fanout(BY_WORKSPACE, premium=True),
    fields=(_f("current_status_update", "json"), _f("due_on", "date"), compacts("followers"), GID, _f("html_notes"),
            _f("is_workspace_level", "boolean", EQUAL), _f("liked", "boolean"), _f("likes", "json"),
            _f("metric", "json"), NAME, _f("notes"), _f("num_likes", "integer"), compact("owner"), RESOURCE_TYPE,
            _f("start_on", "date"), _f("status"), compact("team"), _f("time_period", "json"), WORKSPACE))

PORTFOLIOS = Entity(
    "portfolios", label="Portfolio", path="/portfolios", params={"workspace": "{0}", "owner": "me"}, records="data",
    paginator=PAGES, plan=PushDown(), read=Fanout(BY_WORKSPACE, premium=True),
    fields=(_f("color"), CREATED, compact("created_by"), _f("current_status_update", "json"),
            _f("custom_field_settings", "json"), _f("due_on", "date"), GID, compacts("members"), NAME,
            compact("owner"), _f("permalink_url"), _f("public", "boolean"), RESOURCE_TYPE, _f("start_on", "date"),
            WORKSPACE))

(AUDIT_LOG_EVENTS, GOALS, PORTFOLIOS, PROJECTS, SECTIONS, TAGS, TASKS, TEAMS, USERS, WORKSPACES) = (
    naming(e) for e in (AUDIT_LOG_EVENTS, GOALS, PORTFOLIOS, PROJECTS, SECTIONS, TAGS, TASKS, TEAMS, USERS, WORKSPACES))

CATALOG = Static((AUDIT_LOG_EVENTS, GOALS, PORTFOLIOS, PROJECTS, SECTIONS, TAGS, TASKS, TEAMS, USERS, WORKSPACES),
                 vendor="Asana")
