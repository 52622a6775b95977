"""The fake Jira Cloud site's data, OAuth app and test controls (not part of Jira's API).

Issues are generated lazily from their index with a fixed seed (index i was created at
`start + i * spacing`), so a large site costs nothing until searched; `edit` and `create` change
or add issues at the site's `now`. Controls: `throttle_next(n)` (429 with `Retry-After`),
`expire_tokens()`, `issue_tokens()`; `log` records every API call (a search's JSON body too).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.common.https import RequestLog

SITE_ZONE = "Europe/Oslo"  # the zone the site writes times in
STATUSES = [("1", "To Do", "new", "To Do"), ("3", "In Progress", "indeterminate", "In Progress"),
            ("10001", "Done", "done", "Done"), ("10002", "Blokkert", "indeterminate", "In Progress")]
TYPES = [("10001", "Story"), ("10002", "Bug"), ("10003", "Task"), ("10004", "Epic")]
PRIORITIES = [("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
SUMMARIES = ["Login fails with ümlaut passwords", "Export CSV — wrong encoding", "数据同步失败",
             "Crash when \"quotes\" in title", "Improve onboarding", "Rate limit on /search", "Ødelagt lenke i menyen",
             "Add dark mode 🌙", "Timeout after 30 s", "Refactor billing"]
LABELS = ["backend", "frontend", "kundeønske", "tech-debt", "security", "ux"]
PROJECTS = [("10000", "SLU", "Sluice Core", "software"), ("10001", "DATA", "Données & Analyse", "software"),
            ("10002", "OPS", "München Ops", "service_desk"), ("10003", "MOB", "東京 Mobile", "software"),
            ("10004", "BIZ", "Business Ålesund", "business")]
ZONES = ["America/Los_Angeles", "Europe/Oslo", "Asia/Tokyo", "Europe/Berlin", "UTC", "America/Sao_Paulo"]
NAMES = ["Api User", "Zoë Müller", "Håkon Ødegård", "李小龙", "José Núñez", "Amélie Poulain", "Анна Петрова",
         "Siobhán O'Brien", "Łukasz Żółć", "Automation for Jira"]


def jira_time(seconds: float, zone: str = SITE_ZONE) -> str:
    """Jira's datetime format: `2024-01-15T10:30:00.000+0100`."""
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


class Site:
    """One Jira Cloud site: data, credentials and controls."""

    def __init__(self, issues: int = 300, users: int = 40, seed: int = 5, spacing: float = 60.0,
                 site_url: str = "https://sluice-test.atlassian.net", now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.seed = seed
        self.spacing = spacing
        self.site_url = site_url
        self.cloud_id = "11223344-a1b2-43c4-9d8e-" + f"{seed:012d}"
        self.size = issues
        self.start = now() - spacing * (issues + 1)
        rng = random.Random(seed)
        self.users = [self._user(rng, i) for i in range(max(users, len(NAMES)))]
        self.api_user = self.users[0]
        self.api_user.update(timeZone="America/Los_Angeles", emailAddress="api.user@example.com", active=True,
                             accountType="atlassian")
        self.email, self.api_token = "api.user@example.com", "ATATT3x" + secrets.token_hex(12)
        self.client_id, self.client_secret = "sluice-" + secrets.token_hex(6), secrets.token_hex(16)
        self.codes: dict[str, str] = {}  # authorization code -> redirect URI
        self.access: dict[str, float] = {}  # access token -> expiry
        self.refresh: set[str] = set()
        self.edits: dict[int, dict[str, Any]] = {}
        self.added: list[dict[str, Any]] = []
        # Bumped by every edit and creation: a search's matches are cached per query and version,
        # so paging through a large site evaluates the JQL once, not once per page.
        self.version = 0
        self.matches: dict[tuple[str, str, int], list[int]] = {}
        self.log = RequestLog()
        self.retry_after = 0
        self._throttle = 0
        self._lock = threading.Lock()

    # -- controls -------------------------------------------------------------------------------

    def throttle_next(self, count: int, retry_after: int = 0) -> None:
        """Answer the next `count` API calls 429 with `Retry-After: retry_after`."""
        with self._lock:
            self._throttle, self.retry_after = count, retry_after

    def take_throttle(self) -> bool:
        with self._lock:
            if self._throttle > 0:
                self._throttle -= 1
                return True
            return False

    def authorize(self, redirect_uri: str = "https://us-east-1.console.aws.amazon.com/appflow/oauth") -> str:
        """An authorization code, as the consent screen would hand it to the app."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = redirect_uri
        return code

    def issue_tokens(self, expires_in: float = 3600) -> dict[str, Any]:
        """A token answer (access and refresh token), as the token endpoint gives one."""
        access, refresh = "eyJ" + secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self.access[access] = time.time() + expires_in
            self.refresh.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "expires_in": int(expires_in),
                "token_type": "Bearer", "scope": "read:jira-work read:jira-user offline_access"}

    def expire_tokens(self) -> None:
        """Make every access token expired (refresh tokens still work)."""
        with self._lock:
            self.access = dict.fromkeys(self.access, 0.0)

    def valid_access(self, token: str) -> bool:
        with self._lock:
            return self.access.get(token, 0.0) > time.time()

    def use_refresh(self, token: str) -> bool:
        """Spend a refresh token (Atlassian rotates them: each works once)."""
        with self._lock:
            if token not in self.refresh:
                return False
            self.refresh.discard(token)
            return True

    # -- issues ---------------------------------------------------------------------------------

    def count(self) -> int:
        return self.size + len(self.added)

    def issue(self, index: int) -> dict[str, Any]:
        """Issue `index` (its REST shape, every field)."""
        if index >= self.size:
            return self.added[index - self.size]
        issue = self._generate(index, self.start + index * self.spacing)
        edit = self.edits.get(index)
        if edit:
            issue["fields"].update(edit)
        return issue

    def edit(self, index: int, **fields: Any) -> dict[str, Any]:
        """Change issue `index` now: `fields` (REST field ids) and its `updated` time."""
        with self._lock:
            changed = {**fields, "updated": jira_time(self.now())}
            self.version += 1
            if index >= self.size:
                self.added[index - self.size]["fields"].update(changed)
            else:
                self.edits[index] = {**self.edits.get(index, {}), **changed}
        return self.issue(index)

    def create(self, **fields: Any) -> dict[str, Any]:
        """A new issue created now."""
        with self._lock:
            index = self.count()
            self.version += 1
            issue = self._generate(index, self.now())
            issue["fields"].update(fields)
            self.added.append(issue)
            return issue

    def _user(self, rng: random.Random, index: int) -> dict[str, Any]:
        account = f"{rng.getrandbits(96):024x}"
        name = NAMES[index] if index < len(NAMES) else f"{rng.choice(NAMES[1:])} {index}"
        user: dict[str, Any] = {
            "self": f"{self.site_url}/rest/api/3/user?accountId={account}", "accountId": account,
            "accountType": "app" if name == "Automation for Jira" else "atlassian", "displayName": name,
            "active": rng.random() > 0.1, "timeZone": rng.choice(ZONES),
            "locale": rng.choice(["en_US", "nb_NO", "de_DE"]),
            "avatarUrls": {"48x48": f"https://avatar-management.example/{account}/48"},
        }
        if rng.random() < 0.6:  # hidden by the user's privacy settings otherwise
            user["emailAddress"] = f"user{index}@example.com"
        return user

    def _ref(self, user: dict[str, Any]) -> dict[str, Any]:
        return {k: user[k] for k in ("self", "accountId", "displayName", "active", "timeZone", "accountType")}

    def _generate(self, index: int, created: float) -> dict[str, Any]:
        rng = random.Random(f"issue:{index}:{self.seed}")
        project = PROJECTS[index % len(PROJECTS)]
        status = rng.choice(STATUSES)
        issue_type, priority = rng.choice(TYPES), rng.choice(PRIORITIES)
        updated = min(created + rng.uniform(0, self.spacing * 0.9), self.now())
        done = status[2] == "done"
        assignee = rng.choice(self.users) if rng.random() < 0.75 else None
        issue_id = str(10000 + index)
        fields: dict[str, Any] = {
            "summary": f"{rng.choice(SUMMARIES)} ({index})",
            "description": None if rng.random() < 0.3 else {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"Steg {index}: åpne «Innstillinger»."}]}]},
            "status": {"self": f"{self.site_url}/rest/api/3/status/{status[0]}", "id": status[0], "name": status[1],
                       "statusCategory": {"key": status[2], "name": status[3]}},
            "issuetype": {"id": issue_type[0], "name": issue_type[1], "subtask": False},
            "project": {"id": project[0], "key": project[1], "name": project[2], "projectTypeKey": project[3]},
            "priority": {"id": priority[0], "name": priority[1]},
            "assignee": None if assignee is None else self._ref(assignee),
            "reporter": self._ref(rng.choice(self.users)),
            "created": jira_time(created), "updated": jira_time(updated),
            "resolutiondate": jira_time(updated) if done else None,
            "statuscategorychangedate": jira_time(updated),
            "duedate": None if rng.random() < 0.5 else
            datetime.fromtimestamp(created + 14 * 86400, UTC).date().isoformat(),
            "labels": rng.sample(LABELS, rng.randrange(0, 3)),
            "components": [{"id": "10100", "name": "API"}] if rng.random() < 0.3 else [],
            "customfield_10016": rng.choice([None, 1.0, 2.0, 3.0, 5.0, 8.0]),
            "customfield_10020": None if rng.random() < 0.5 else [
                {"id": 7, "name": "Sprint 7 — «Vår»", "state": "active", "boardId": 3}],
            "customfield_10100": rng.choice([None, "K-1042", "Kunde Ærø"]),
            "customfield_10200": rng.choice([None, {"id": "10300", "value": "Plattform"},
                                             {"id": "10301", "value": "Mobil"}]),
        }
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                "id": issue_id, "self": f"{self.site_url}/rest/api/3/issue/{issue_id}",
                "key": f"{project[1]}-{index // len(PROJECTS) + 1}", "fields": fields}


def _system(field_id: str, name: str, kind: str, clauses: list[str], items: str | None = None,
            navigable: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, "system": field_id}
    if items:
        schema["items"] = items
    return {"id": field_id, "key": field_id, "name": name, "custom": False, "orderable": True, "navigable": navigable,
            "searchable": True, "clauseNames": clauses, "schema": schema}


def _custom(number: int, name: str, kind: str, custom: str, items: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{custom}",
                              "customId": number}
    if items:
        schema["items"] = items
    return {"id": f"customfield_{number}", "key": f"customfield_{number}", "name": name, "untranslatedName": name,
            "custom": True, "orderable": True, "navigable": True, "searchable": True,
            "clauseNames": [f"cf[{number}]", name], "schema": schema}


FIELDS = [
    _system("summary", "Summary", "string", ["summary"]),
    _system("description", "Description", "string", ["description"]),
    _system("status", "Status", "status", ["status"]),
    _system("issuetype", "Issue Type", "issuetype", ["issuetype", "type"]),
    _system("project", "Project", "project", ["project"]),
    _system("priority", "Priority", "priority", ["priority"]),
    _system("assignee", "Assignee", "user", ["assignee"]),
    _system("reporter", "Reporter", "user", ["reporter"]),
    _system("created", "Created", "datetime", ["created", "createdDate"]),
    _system("updated", "Updated", "datetime", ["updated", "updatedDate"]),
    _system("resolutiondate", "Resolved", "datetime", ["resolutiondate", "resolved"]),
    _system("statuscategorychangedate", "Status Category Changed", "datetime", ["statusCategoryChangedDate"]),
    _system("duedate", "Due date", "date", ["due", "duedate"]),
    _system("labels", "Labels", "array", ["labels"], items="string"),
    _system("components", "Components", "array", ["component"], items="component"),
    {"id": "thumbnail", "key": "thumbnail", "name": "Images", "custom": False, "orderable": False,
     "navigable": False, "searchable": False, "clauseNames": []},
    _custom(10016, "Story point estimate", "number", "float"),
    _custom(10020, "Sprint", "array", "gh-sprint", items="json"),
    _custom(10100, "Kundenummer", "string", "textfield"),
    _custom(10200, "Team", "option", "select"),
]
