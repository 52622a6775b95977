"""The fake GitHub's state: repositories and their records, who may read them, rate limits and the
controls tests use (not GitHub API).

Records come from `seed.py`, generated per request; edits (`edit_issue`, `add_commit`) are kept
as overrides stamped with the fake's clock (`now`, replaceable so a test can run it at the
scheduler's speed). Credentials: OAuth / personal access tokens sent as `Bearer` or `token`, and
HTTP basic with a user name and a personal access token. GitHub App user tokens can be made to
expire (`issue(..., expires_in=...)`, `expire_tokens`) and are refreshed at the token endpoint.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.common.https import RequestLog

from . import seed
from .seed import Repo

RATE_LIMIT = 5000


@dataclass
class Throttle:
    """One forced rate-limit answer."""

    kind: str  # "secondary" or "primary"
    retry_after: float | None = 0.0  # secondary: the retry-after header (None: no header)
    reset_in: float = 0.0  # primary: x-ratelimit-reset is now + this


@dataclass
class Token:
    """An access token and whose it is."""

    login: str
    expires_at: float | None = None


@dataclass
class GitHubState:
    """Repositories and records; credentials; controls and the request log."""

    repos: int = 4
    issues: int = 60  # per repository (every fifth is a pull request)
    commits: int = 40  # per repository
    seed: int = 7
    log: RequestLog = field(default_factory=RequestLog)
    now: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.repositories = seed.repos(self.repos)
        self.by_name = {r.full_name.lower(): r for r in self.repositories}
        self._lock = threading.Lock()
        self.tokens: dict[str, Token] = {}
        self.basic: dict[tuple[str, str], str] = {}
        self.clients: dict[str, str] = {"Iv1.sluice-test-app": "sluice-app-secret"}
        self.refresh_tokens: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        self.throttles: list[Throttle] = []
        self.issue_edits: dict[tuple[int, int], dict[str, Any]] = {}
        self.extra_commits: dict[int, list[dict[str, Any]]] = {}
        self.used: dict[str, int] = {}
        self.grants: list[str] = []
        # (Accept, X-GitHub-Api-Version) of each API request, so tests see what a client asked for.
        self.media: list[tuple[str | None, str | None]] = []

    # -- credentials --------------------------------------------------------------------------

    def issue_token(self, login: str = "octocat", token: str | None = None, expires_in: float | None = None,
                    refresh: bool = False) -> tuple[str, str | None]:
        """A valid access token for `login` (and a refresh token when `refresh`)."""
        value = token or ("ghu_" if expires_in else "gho_") + secrets.token_hex(16)
        with self._lock:
            self.tokens[value] = Token(login, None if expires_in is None else self.now() + expires_in)
            refresh_token = None
            if refresh:
                refresh_token = "ghr_" + secrets.token_hex(20)
                self.refresh_tokens[refresh_token] = login
        return value, refresh_token

    def personal_access_token(self, username: str = "octocat", token: str | None = None) -> str:
        """A personal access token accepted with HTTP basic as `username`."""
        value = token or "ghp_" + secrets.token_hex(18)
        with self._lock:
            self.basic[(username, value)] = username
            self.tokens[value] = Token(username)
        return value

    def authorization_code(self, login: str = "octocat") -> str:
        """A one-time code the token endpoint exchanges (the OAuth web flow's redirect)."""
        code = secrets.token_hex(10)
        with self._lock:
            self.codes[code] = login
        return code

    def revoke(self, token: str) -> None:
        """Forget a token (GitHub then answers 401 Bad credentials)."""
        with self._lock:
            self.tokens.pop(token, None)
            self.basic = {k: v for k, v in self.basic.items() if k[1] != token}

    def expire_tokens(self) -> None:
        """Every expiring token is past its expiry."""
        with self._lock:
            for token in self.tokens.values():
                if token.expires_at is not None:
                    token.expires_at = self.now() - 1

    def login_for_bearer(self, token: str) -> str | None:
        with self._lock:
            found = self.tokens.get(token)
            if found is None or (found.expires_at is not None and found.expires_at <= self.now()):
                return None
            return found.login

    def login_for_basic(self, username: str, password: str) -> str | None:
        with self._lock:
            return self.basic.get((username, password))

    def refresh(self, client_id: str, secret: str, refresh_token: str) -> dict[str, Any]:
        """The token endpoint's answer to a refresh_token grant (GitHub answers errors with 200 too)."""
        if self.clients.get(client_id) != secret:
            return {"error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect."}
        with self._lock:
            login = self.refresh_tokens.pop(refresh_token, None)
        if login is None:
            return {"error": "bad_refresh_token",
                    "error_description": "The refresh token passed is incorrect or expired."}
        self.grants.append("refresh_token")
        return self._user_token(login)

    def exchange(self, client_id: str, secret: str, code: str) -> dict[str, Any]:
        """The token endpoint's answer to an authorization code."""
        if self.clients.get(client_id) != secret:
            return {"error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect."}
        with self._lock:
            login = self.codes.pop(code, None)
        if login is None:
            return {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
        self.grants.append("authorization_code")
        return self._user_token(login)

    def _user_token(self, login: str) -> dict[str, Any]:
        access, refresh = self.issue_token(login, expires_in=28_800, refresh=True)
        return {"access_token": access, "expires_in": 28_800, "refresh_token": refresh,
                "refresh_token_expires_in": 15_811_200, "scope": "", "token_type": "bearer"}

    # -- rate limits --------------------------------------------------------------------------

    def throttle_next(self, count: int = 1, kind: str = "secondary", retry_after: float | None = 0.0,
                      reset_in: float = 0.0) -> None:
        """The next `count` API requests are refused as over a rate limit."""
        with self._lock:
            self.throttles += [Throttle(kind, retry_after, reset_in) for _ in range(count)]

    def take_throttle(self) -> Throttle | None:
        with self._lock:
            return self.throttles.pop(0) if self.throttles else None

    def count_use(self, login: str) -> tuple[int, int]:
        """(used, remaining) of `login`'s hourly limit after this request."""
        with self._lock:
            self.used[login] = self.used.get(login, 0) + 1
            used = self.used[login]
        return used, max(0, RATE_LIMIT - used)

    # -- records ------------------------------------------------------------------------------

    def visible(self, login: str) -> list[Repo]:
        """The repositories `login` can see."""
        return [r for r in self.repositories if not r.private or login in r.members]

    def repo(self, owner: str, name: str, login: str) -> Repo | None:
        """The repository, or None when it does not exist or `login` cannot see it (GitHub: 404)."""
        found = self.by_name.get(f"{owner}/{name}".lower())
        if found is None or (found.private and login not in found.members):
            return None
        return found

    def issue_at(self, repo: Repo, number: int) -> dict[str, Any]:
        """Issue `number` of `repo`, with its edits."""
        record = seed.issue(repo, number, self.seed)
        record.update(self.issue_edits.get((repo.index, number), {}))
        return record

    def repo_issues(self, repo: Repo) -> list[dict[str, Any]]:
        """Every issue of `repo` (pull requests included), newest first."""
        return [self.issue_at(repo, number) for number in range(self.issues, 0, -1)]

    def repo_pulls(self, repo: Repo) -> list[dict[str, Any]]:
        """Every pull request of `repo`, newest first."""
        return [seed.pull(repo, i) for i in self.repo_issues(repo) if "pull_request" in i]

    def repo_commits(self, repo: Repo) -> list[dict[str, Any]]:
        """The default branch's commits, newest committer date first."""
        found = [seed.commit(repo, i, self.seed) for i in range(self.commits)] + self.extra_commits.get(repo.index, [])
        return sorted(found, key=lambda c: c["commit"]["committer"]["date"], reverse=True)

    def edit_issue(self, full_name: str, number: int, **changes: Any) -> dict[str, Any]:
        """Change an issue (e.g. its title); its `updated_at` becomes the fake's now."""
        repo = self.by_name[full_name.lower()]
        with self._lock:
            edits = self.issue_edits.setdefault((repo.index, number), {})
            edits.update(changes)
            edits["updated_at"] = seed.iso(self.now())
        return seed.issue(repo, number, self.seed) | edits

    def add_commit(self, full_name: str, message: str) -> dict[str, Any]:
        """Push a commit to the default branch, committed at the fake's now."""
        repo = self.by_name[full_name.lower()]
        with self._lock:
            extra = self.extra_commits.setdefault(repo.index, [])
            record = seed.commit(repo, self.commits + len(extra), self.seed, when=self.now(), message=message)
            extra.append(record)
        return record
