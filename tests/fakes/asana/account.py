"""The fake Asana account: its records, credentials, clock and test controls."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.lazy import Lazy
from tests.fakes.common.throttle import Throttles

from . import seed

TOKEN_TTL = 3600  # seconds an OAuth access token lives (Asana's `expires_in`)


class AsanaAccount:
    """Two workspaces (an organization with teams and an audit log, a personal one), `projects` projects,
    `tasks` tasks; goals and portfolios in the organization, whose plan is premium (the token's user
    owns the portfolios)."""

    def __init__(self, tasks: int = 300, projects: int = 6, audit_events: int = 60) -> None:
        self.log = RequestLog()
        self.throttles = Throttles()
        self.now: Callable[[], float] = time.time
        self.lock = threading.Lock()
        self.workspaces = seed.workspaces()
        self.users = seed.users(self.workspaces)
        organization = self.workspaces[0]
        self.teams = seed.teams(organization)
        self.projects = [seed.project(i, organization, self.teams[i % len(self.teams)], self.users)
                         for i in range(max(1, projects - 1))]
        self.projects.append(seed.project(len(self.projects), self.workspaces[1], None, self.users))
        self.sections = {p["gid"]: seed.sections(p) for p in self.projects}
        self.tags = [t for w in self.workspaces for t in seed.tags(w, self.users)]
        # Goals and portfolios are premium features: only the organization's plan has them.
        self.premium = {organization["gid"]}
        self.goals = seed.goals(organization, self.users, self.teams[0])
        self.portfolios = seed.portfolios(organization, self.users[0], self.users)
        self.audit_events = seed.audit_events(organization, self.users, audit_events)
        self.task_count = tasks
        self.edited: dict[int, dict[str, Any]] = {}
        self._task_indexes: dict[str, list[int]] = {}
        # Credentials: personal access tokens, one OAuth client, its tokens (expiry) and refresh tokens.
        self.pat = f"2/{seed.gid('me')}/{secrets.token_hex(16)}"
        self.pats = {self.pat}
        self.client_id, self.client_secret = seed.gid("app"), secrets.token_hex(16)
        self.access: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()

    # -- credentials ------------------------------------------------------------------------

    def issue(self, expires_in: float = TOKEN_TTL) -> tuple[str, str]:
        """An OAuth (access token, refresh token) pair; tests skip the browser part of OAuth."""
        access, refresh = f"1/{secrets.token_hex(24)}", f"1/{secrets.token_hex(24)}"
        with self.lock:
            self.access[access] = time.time() + expires_in
            self.refresh_tokens.add(refresh)
        return access, refresh

    def refresh(self, refresh_token: str) -> str | None:
        """A new access token for a known refresh token (Asana keeps the refresh token)."""
        if refresh_token not in self.refresh_tokens:
            return None
        access = f"1/{secrets.token_hex(24)}"
        with self.lock:
            self.access[access] = time.time() + TOKEN_TTL
        return access

    def valid(self, token: str) -> bool:
        """True for a personal access token or an unexpired OAuth access token."""
        return token in self.pats or self.access.get(token, 0) > time.time()

    # -- records -----------------------------------------------------------------------------

    def homes(self, index: int) -> list[dict[str, Any]]:
        """The projects task `index` is in: one, and a second for every tenth task (same workspace)."""
        count = len(self.projects)
        first = self.projects[index % count]
        second = self.projects[(index + 1) % count]
        if index % 10 == 0 and second is not first and second["workspace"]["gid"] == first["workspace"]["gid"]:
            return [first, second]
        return [first]

    def task(self, index: int) -> dict[str, Any]:
        """Task `index` (generated, or as last edited)."""
        return self.edited.get(index) or seed.task(index, self.homes(index), self.users, self.tags)

    def tasks_in(self, project_gid: str) -> Lazy:
        """The tasks of one project, in creation order (made as they are read)."""
        if project_gid not in self._task_indexes:
            self._task_indexes[project_gid] = [i for i in range(self.task_count)
                                               if any(p["gid"] == project_gid for p in self.homes(i))]
        return Lazy(self.task, indexes=self._task_indexes[project_gid])

    # -- test controls (not Asana's API) -----------------------------------------------------

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/api/1.0/", retry_after: int = 1) -> None:
        """Answer the next `count` requests under `path` with 429 and `Retry-After: retry_after`."""
        self.throttles.add(count, after, path, retry_after)

    def expire_tokens(self) -> None:
        """Every OAuth access token issued so far expires now."""
        with self.lock:
            self.access = dict.fromkeys(self.access, 0.0)

    def edit_task(self, index: int, **changes: Any) -> dict[str, Any]:
        """Change task `index` now (on the account clock): its `modified_at` moves."""
        with self.lock:
            now = self.now()
            record = {**self.task(index), **changes, "modified_at": seed.stamp(now), "modified_on": seed.day(now)}
            self.edited[index] = record
            return record
