"""The fake Jira Cloud site's data, OAuth app and test controls (not part of Jira's API).

Issues are generated lazily from their index with a fixed seed (index i was created at
`start + i * spacing`), so a large site costs nothing until searched; `edit` and `create` change
or add issues at the site's `now`. Records are kept in REST API version 2's shape (rich text as
wiki-markup strings, `self` links under `/rest/api/2`); `v3()` gives version 3's shape of any
answer (ADF rich text, `/rest/api/3` links). Controls: `throttle_next(n)` (429 with `Retry-After`),
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
from tests.fakes.common.throttle import Throttles

from .richtext import adf

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
STEPS = ["åpne *Innstillinger*", "velg {{Eksport → CSV}}", "logg inn som «admin»", "kjør {{sluice sync}}",
         "vent 30 s", "trykk *Lagre*"]
ENVIRONMENTS = ["Chrome 120, macOS 14", "Firefox 121 på Ubuntu 22.04\n{{sluice 0.9.1}}", "iOS 17 — Safari",
                "Edge / Windows 11 (ja-JP)"]
CRITERIA = ["* Eksport gir *UTF-8*\n* Ingen «feil» i loggen", "Kunden kan logge inn med {{SSO}}.",
            "h4. Må\n* fungere offline\n* støtte 数据"]
REMARKS = ["Sjekket i {{staging}}: *fungerer* ✅", "Kan ikke gjenskape. Trenger logg fra kunden.",
           "Duplikat av tidligere sak?\nSe også {{SLU-1}}.", "Ødelagt igjen etter deploy 🙁"]
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
        self.throttles = Throttles()
        self._lock = threading.Lock()

    # -- controls -------------------------------------------------------------------------------

    def throttle_next(self, count: int, retry_after: int = 0) -> None:
        """Answer the next `count` API calls 429 with `Retry-After: retry_after`."""
        self.retry_after = retry_after
        self.throttles.add(count, retry_after=retry_after)

    def take_throttle(self) -> bool:
        """True when this call is to be throttled (and counts it)."""
        return self.throttles.take("/") is not None

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
            "self": f"{self.site_url}/rest/api/2/user?accountId={account}", "accountId": account,
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

    def _comments(self, rng: random.Random, issue_id: str, created: float, updated: float) -> dict[str, Any]:
        """The issue's `comment` field: a page of comments, bodies in wiki markup."""
        comments = []
        for number in range(rng.choice([0, 0, 1, 2])):
            author = self._ref(rng.choice(self.users))
            when = jira_time(created + (updated - created) * (number + 1) / 3)
            comment_id = str(20000 + int(issue_id) * 3 + number)
            comments.append({"self": f"{self.site_url}/rest/api/2/issue/{issue_id}/comment/{comment_id}",
                             "id": comment_id, "author": author, "body": rng.choice(REMARKS), "updateAuthor": author,
                             "created": when, "updated": when, "jsdPublic": True})
        return {"comments": comments, "self": f"{self.site_url}/rest/api/2/issue/{issue_id}/comment",
                "maxResults": len(comments), "total": len(comments), "startAt": 0}

    def find(self, id_or_key: str) -> int | None:
        """The index of the issue with this id or key, None when there is none."""
        project, _, number = id_or_key.partition("-")
        if number:
            keys = [p[1] for p in PROJECTS]
            if project not in keys or not number.isdigit() or int(number) < 1:
                return None
            index = (int(number) - 1) * len(PROJECTS) + keys.index(project)
        elif id_or_key.isdigit():
            index = int(id_or_key) - 10000
        else:
            return None
        return index if 0 <= index < self.count() else None

    def v3(self, value: Any) -> Any:
        """`value` (an answer in version 2's shape) as version 3 answers it: rich text as ADF, links
        under `/rest/api/3`."""
        if isinstance(value, str):
            v2 = f"{self.site_url}/rest/api/2/"
            return f"{self.site_url}/rest/api/3/{value[len(v2):]}" if value.startswith(v2) else value
        if isinstance(value, list):
            return [self.v3(item) for item in value]
        if not isinstance(value, dict):
            return value
        shaped = {k: self.v3(v) for k, v in value.items()}
        fields = shaped.get("fields")
        if isinstance(fields, dict) and "key" in shaped:  # an issue
            for field_id in RICH_TEXT:
                if isinstance(fields.get(field_id), str):
                    fields[field_id] = adf(fields[field_id])
            page = fields.get("comment")
            for comment in page.get("comments") or [] if isinstance(page, dict) else []:
                if isinstance(comment.get("body"), str):
                    comment["body"] = adf(comment["body"])
        return shaped

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
            # Rich text, as version 2 sends it: wiki markup (v3() turns it into ADF).
            "description": None if rng.random() < 0.3 else
            f"h3. Steg {index}\nFor å gjenskape:\n" + "\n".join(f"* {s}" for s in rng.sample(STEPS, 2))
            + f"\n\nForventet: *ingen feil* i {{{{sync-{index}}}}}.",
            "environment": None if rng.random() < 0.5 else rng.choice(ENVIRONMENTS),
            "status": {"self": f"{self.site_url}/rest/api/2/status/{status[0]}", "id": status[0], "name": status[1],
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
            "customfield_10300": rng.choice([None, *CRITERIA]),
        }
        fields["comment"] = self._comments(rng, issue_id, created, updated)
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                "id": issue_id, "self": f"{self.site_url}/rest/api/2/issue/{issue_id}",
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
    _system("environment", "Environment", "string", ["environment"]),
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
    _system("comment", "Comment", "comments-page", ["comment"], navigable=False),
    {"id": "thumbnail", "key": "thumbnail", "name": "Images", "custom": False, "orderable": False,
     "navigable": False, "searchable": False, "clauseNames": []},
    _custom(10016, "Story point estimate", "number", "float"),
    _custom(10020, "Sprint", "array", "gh-sprint", items="json"),
    _custom(10100, "Kundenummer", "string", "textfield"),
    _custom(10200, "Team", "option", "select"),
    _custom(10300, "Akseptansekriterier", "string", "textarea"),
]
# Fields whose value is rich text: ADF in version 3, wiki markup in version 2 (comment bodies too).
RICH_TEXT = tuple(f["id"] for f in FIELDS if f["id"] in ("description", "environment")
                  or str(f.get("schema", {}).get("custom", "")).endswith(":textarea"))
