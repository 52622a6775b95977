"""Seeded Asana records: workspaces, users, teams, projects, sections, tags and tasks."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from typing import Any

BASE = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
NAMES = ["Zoë Müller", "José Álvarez", "李小龙", "Ngozi Okafor", "Søren Kierkegaard", "Ana-María Núñez",
         "Siobhán O'Brien", "Priya Raman"]
VERBS = ["Überarbeiten", "Draft", "Réviser", "Ship", "レビュー", "Plan", "Test", "Document"]
THINGS = ["the Q3 roadmap", "Lieferanten-Vertrag", "onboarding flow", "página de inicio", "release notes", "API 🚀"]


def stamp(seconds: float | None) -> str | None:
    """Asana's time text (`2012-02-22T02:06:58.147Z`); None stays None."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(int(seconds * 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def gid(*parts: Any) -> str:
    """A numeric gid, stable for `parts`."""
    return str(1_200_000_000_000_000 + int(hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()[:12], 16))


def compact(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"gid": record["gid"], "name": record.get("name"), "resource_type": kind}


def workspaces() -> list[dict[str, Any]]:
    return [{"gid": gid("ws", 0), "name": "Acme Ünïon", "resource_type": "workspace", "is_organization": True,
             "email_domains": ["acme.example", "acme.ch"]},  # on a premium plan (goals, portfolios)
            {"gid": gid("ws", 1), "name": "Personal Projects", "resource_type": "workspace",
             "is_organization": False, "email_domains": []}]


def users(spaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n, name in enumerate(NAMES):
        user = {"gid": gid("user", n), "name": name, "email": f"user{n}@acme.example", "resource_type": "user",
                "photo": None if n % 3 == 0 else {f"image_{s}x{s}": f"https://s3.example/photos/{n}_{s}.png"
                                                  for s in (21, 27, 36, 60, 128)},
                "workspaces": [compact("workspace", w) for w in (spaces if n < 3 else spaces[:1])]}
        out.append(user)
    return out


def teams(organization: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"gid": gid("team", n), "name": name, "resource_type": "team",
             "description": desc, "html_description": f"<body>{desc}</body>" if desc else "",
             "organization": compact("workspace", organization),
             "permalink_url": f"https://app.asana.com/0/team/{gid('team', n)}",
             "visibility": ["public", "request_to_join", "secret"][n]}
            for n, (name, desc) in enumerate([("Marketing", "Kampagnen & Inhalte"), ("Engineering", ""),
                                              ("Équipe Support", "Kundenservice 🌍")])]


def project(index: int, space: dict[str, Any], team: dict[str, Any] | None,
            people: list[dict[str, Any]]) -> dict[str, Any]:
    rng = random.Random(index * 31 + 7)
    created = BASE + index * 86400
    owner = people[index % len(people)]
    archived = index % 5 == 4
    return {
        "gid": gid("project", index), "name": f"{VERBS[index % len(VERBS)]} {THINGS[index % len(THINGS)]}",
        "resource_type": "project", "archived": archived, "color": rng.choice(["dark-pink", "light-green", None]),
        "completed": archived, "completed_at": stamp(created + 86400 * 30) if archived else None,
        "completed_by": compact("user", owner) if archived else None, "created_at": stamp(created),
        "created_from_template": None,
        "current_status": {"color": "green", "text": "Läuft gut", "author": compact("user", owner)}
        if index % 2 else None,
        "current_status_update": None,
        "custom_field_settings": [{"gid": gid("cfs", index), "is_important": True,
                                   "custom_field": {"gid": gid("cf", 0), "name": "Priorität", "type": "enum"}}],
        "custom_fields": [{"gid": gid("cf", 0), "name": "Priorität", "display_value": rng.choice(["Hoch", None])}],
        "default_view": rng.choice(["list", "board", "calendar", "timeline"]),
        "due_date": day(created + 86400 * 60), "due_on": day(created + 86400 * 60),
        "followers": [compact("user", p) for p in people[: 1 + index % 3]],
        "html_notes": "<body>Ziele: <strong>mehr</strong></body>",
        "icon": "list", "is_template": False, "members": [compact("user", p) for p in people[:3]],
        "modified_at": stamp(created + 3600), "notes": "Ziele: mehr" if index % 2 else "",
        "owner": compact("user", owner), "permalink_url": f"https://app.asana.com/0/{gid('project', index)}/list",
        "public": index % 2 == 0, "start_on": None if index % 3 else day(created),
        "team": compact("team", team) if team else None, "workspace": compact("workspace", space),
    }


def sections(project: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"gid": gid("section", project["gid"], n), "name": name, "resource_type": "section",
             "created_at": project["created_at"], "project": compact("project", project)}
            for n, name in enumerate(["(no section)", "In Arbeit", "Terminé"])]


def tags(space: dict[str, Any], people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"gid": gid("tag", space["gid"], n), "name": name, "resource_type": "tag",
             "color": ["dark-red", "light-blue", None, "dark-teal"][n], "created_at": stamp(BASE + n * 3600),
             "followers": [compact("user", people[n])], "notes": "" if n % 2 else "Wichtig ⚠",
             "permalink_url": f"https://app.asana.com/0/{gid('tag', space['gid'], n)}/list",
             "workspace": compact("workspace", space)}
            for n, name in enumerate(["dringend", "blocked", "später", "客户"])]


def task(index: int, homes: list[dict[str, Any]], people: list[dict[str, Any]], tag_pool: list[dict[str, Any]],
         modified: float | None = None) -> dict[str, Any]:
    """Task `index`, in the projects `homes` (its first home decides its section and workspace)."""
    rng = random.Random(index * 7919 + 13)
    created = BASE + index * 900
    home = homes[0]
    done = rng.random() < 0.3
    assignee = people[rng.randrange(len(people))] if rng.random() < 0.8 else None
    due = created + 86400 * rng.randint(1, 30)
    subtype = "milestone" if index % 17 == 0 else "default_task"
    picked = [t for t in tag_pool if t["workspace"]["gid"] == home["workspace"]["gid"]][: index % 3]
    return {
        "gid": gid("task", index), "name": f"{VERBS[index % len(VERBS)]} {THINGS[(index // 3) % len(THINGS)]} #{index}",
        "resource_type": "task", "resource_subtype": subtype, "approval_status": None,
        "assignee": compact("user", assignee) if assignee else None,
        "assignee_section": None, "assignee_status": "upcoming" if assignee else None,
        "completed": done, "completed_at": stamp(created + 86400) if done else None,
        "completed_by": compact("user", assignee) if done and assignee else None,
        "completed_on": day(created + 86400) if done else None, "created_at": stamp(created),
        "custom_fields": [{"gid": gid("cf", 0), "name": "Priorität", "resource_subtype": "enum",
                           "display_value": rng.choice(["Hoch", "Niedrig", None]),
                           "enum_value": None}],
        "dependencies": [], "dependents": [],
        "due_at": stamp(due) if index % 4 == 0 else None, "due_on": day(due),
        "external": None, "followers": [compact("user", people[index % len(people)])],
        "has_attachment": index % 9 == 0, "hearted": False, "hearts": [],
        "html_notes": f"<body>Notiz {index}: <em>bitte prüfen</em></body>", "is_blocked": False, "is_blocking": False,
        "is_rendered_as_separator": False, "is_subtask": False, "liked": index % 6 == 0,
        "likes": [{"gid": gid("like", index), "user": compact("user", people[0])}] if index % 6 == 0 else [],
        "memberships": [{"project": compact("project", p), "section": {"gid": gid("section", p["gid"], index % 3),
                                                                       "name": None, "resource_type": "section"}}
                        for p in homes],
        "modified_at": stamp(modified if modified is not None else created + rng.randint(0, 86400)),
        "modified_on": day(modified if modified is not None else created), "notes": f"Notiz {index}: bitte prüfen",
        "num_hearts": 0, "num_likes": 1 if index % 6 == 0 else 0, "num_subtasks": index % 3, "parent": None,
        "permalink_url": f"https://app.asana.com/0/{home['gid']}/{gid('task', index)}",
        "projects": [compact("project", p) for p in homes], "start_at": None, "start_on": None,
        "tags": [compact("tag", t) for t in picked], "workspace": dict(home["workspace"]),
    }


def goals(space: dict[str, Any], people: list[dict[str, Any]], team: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for n, name in enumerate(["Umsatz +20 %", "Réduire le churn", "Launch v2 🚀"]):
        owner = people[n % len(people)]
        out.append({
            "gid": gid("goal", space["gid"], n), "name": name, "resource_type": "goal",
            "html_notes": f"<body>{name}</body>", "notes": name, "due_on": day(BASE + 86400 * 180),
            "start_on": day(BASE) if n % 2 == 0 else None, "is_workspace_level": n == 0, "liked": False,
            "likes": [], "num_likes": 0, "status": [None, "green", "yellow"][n],
            "team": compact("team", team) if team and n else None, "workspace": compact("workspace", space),
            "time_period": {"gid": gid("period", n), "display_name": "FY24 Q2", "period": "Q2",
                            "resource_type": "time_period", "start_on": "2024-04-01", "end_on": "2024-06-30"},
            "metric": {"gid": gid("metric", space["gid"], n), "resource_type": "metric", "unit": "percentage",
                       "precision": 0, "current_number_value": 0.12 * n, "target_number_value": 0.2,
                       "progress_source": "manual"} if n != 2 else None,
            "owner": compact("user", owner), "current_status_update": None,
            "followers": [compact("user", owner)],
        })
    return out


def portfolios(space: dict[str, Any], owner: dict[str, Any], people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"gid": gid("portfolio", space["gid"], n), "name": name, "resource_type": "portfolio",
             "color": ["light-green", "dark-blue"][n], "created_at": stamp(BASE + 86400 * n),
             "created_by": compact("user", owner), "current_status_update": None,
             "custom_field_settings": [], "due_on": None if n else day(BASE + 86400 * 90),
             "members": [compact("user", p) for p in people[:2]], "owner": compact("user", owner),
             "permalink_url": f"https://app.asana.com/0/portfolio/{gid('portfolio', space['gid'], n)}/list",
             "public": n == 0, "start_on": None, "workspace": compact("workspace", space)}
            for n, name in enumerate(["Produkt 2024", "Client Délivery"])]


def audit_events(organization: dict[str, Any], people: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    kinds = [("task_deleted", "deletion", "task"), ("user_login_succeeded", "logins", "user"),
             ("project_privacy_changed", "access_control", "project"), ("file_downloaded", "data_export", "file")]
    out = []
    for n in range(count):
        event_type, category, resource_type = kinds[n % len(kinds)]
        actor = people[n % len(people)]
        api = n % 5 == 0
        out.append({
            "gid": gid("audit", n), "created_at": stamp(BASE + n * 1800), "event_type": event_type,
            "event_category": category,
            "actor": {"actor_type": "user" if not api else "external_administrator", "gid": actor["gid"],
                      "name": actor["name"], "email": actor["email"]},
            "resource": {"resource_type": resource_type, "resource_subtype": "default_task" if resource_type == "task"
                         else None, "gid": gid("res", n), "name": f"Ressource {n}", "email": None},
            "details": {"old_value": "public", "new_value": "private"} if category == "access_control" else {},
            "context": {"context_type": "api" if api else "web", "api_authentication_method": "personal_access_token"
                        if api else None, "client_ip_address": f"203.0.113.{n % 250}",
                        "user_agent": "Mozilla/5.0 (Sluice test)", "oauth_app_name": None},
        })
    return out
