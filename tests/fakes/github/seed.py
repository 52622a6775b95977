"""Seeded GitHub records for the fake (deterministic, generated lazily per record).

Shapes follow GitHub's REST v3 response schemas (https://docs.github.com/en/rest/issues/issues,
https://docs.github.com/en/rest/pulls/pulls, https://docs.github.com/en/rest/commits/commits,
https://docs.github.com/en/rest/branches/branches, https://docs.github.com/en/rest/repos/repos):
nested users, labels and milestones, nulls where GitHub leaves a value out (no assignee, no
milestone, an open issue's `closed_at`), unicode titles, bodies and author names. Issues and pull
requests share one number sequence per repository, as on GitHub: every fifth number is a pull
request, which the issues lists include with a `pull_request` member.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

API = "https://api.github.com"
WEB = "https://github.com"
# Fixed, so records are the same in every run; the fake's clock stamps later edits.
BASE = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
PULL_EVERY = 5

LOGINS = ("octocat", "hubot", "mona", "zoe-muller", "li-lei", "ana-sofia", "dependabot[bot]")
NAMES = ("The Octocat", "Hubot", "Mona Lisa Octocat", "Zoë Müller", "李雷", "Ana Sofía Peña", "dependabot[bot]")
WORDS = ("parser", "crash", "unicode", "naïve", "timeout", "docs", "façade", "日本語", "emoji 🚀", "cache",
         "retry", "Ångström", "build", "flaky test", "memory")
LABELS = (("bug", "d73a4a", "Something isn't working"), ("enhancement", "a2eeef", "New feature or request"),
          ("documentation", "0075ca", None), ("good first issue", "7057ff", "Good for newcomers"),
          ("ünïcödé", "fbca04", "Labels can be unicode too"))


def iso(seconds: float) -> str:
    """GitHub's timestamp form."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(index: int) -> dict[str, Any]:
    """A simple-user object."""
    login = LOGINS[index % len(LOGINS)]
    uid = 1000 + index % len(LOGINS)
    return {"login": login, "id": uid, "node_id": f"MDQ6VXNlcj{uid}", "avatar_url": f"{WEB}/images/{uid}.png",
            "url": f"{API}/users/{login}", "html_url": f"{WEB}/{login}",
            "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": False}


@dataclass(frozen=True)
class Repo:
    """One seeded repository."""

    index: int
    owner: str
    name: str
    private: bool
    members: tuple[str, ...]  # logins that can see it when private

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def record(self, updated: float | None = None) -> dict[str, Any]:
        """The full-repository object."""
        rid = 100_000 + self.index
        created = BASE - 86_400 * (400 - self.index)
        owner = user(0) if self.owner == "octocat" else {**user(1), "login": self.owner, "type": "Organization",
                                                          "id": 9000, "html_url": f"{WEB}/{self.owner}"}
        return {
            "id": rid, "node_id": f"R_kgDO{rid}", "name": self.name, "full_name": self.full_name,
            "private": self.private, "visibility": "private" if self.private else "public", "owner": owner,
            "html_url": f"{WEB}/{self.full_name}", "url": f"{API}/repos/{self.full_name}",
            "description": None if self.index % 4 == 3 else f"Répertoire {self.name} — seeded for Sluice's tests",
            "fork": self.index % 5 == 4, "homepage": None, "language": ("Python", "Go", "Rust", None)[self.index % 4],
            "topics": ["sluice", "appflow"][: self.index % 3], "archived": False, "default_branch": "main",
            "license": None if self.index % 2 else {"key": "mit", "name": "MIT License", "spdx_id": "MIT",
                                                    "url": f"{API}/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"},
            "size": 1024 * (self.index + 1), "stargazers_count": 7 * self.index, "watchers_count": 7 * self.index,
            "forks_count": self.index, "open_issues_count": 3 * self.index,
            "created_at": iso(created), "updated_at": iso(updated if updated is not None else BASE + 3600 * self.index),
            "pushed_at": iso(BASE + 3600 * self.index),
        }


def repos(count: int) -> list[Repo]:
    """`count` repositories: octocat's own, octo-org's, and one private org repository octocat cannot see."""
    found = []
    for index in range(count):
        owner = "octocat" if index % 2 == 0 else "octo-org"
        found.append(Repo(index, owner, f"project-{index:02d}", private=index % 3 == 2,
                          members=("octocat", "hubot")))
    found.append(Repo(count, "octo-org", "vault", private=True, members=("hubot",)))
    return found


def _rng(*key: Any) -> random.Random:
    return random.Random(hashlib.sha256(repr(key).encode()).digest())


def labels(rng: random.Random) -> list[dict[str, Any]]:
    """Zero to three labels."""
    chosen = rng.sample(range(len(LABELS)), rng.randint(0, 3))
    return [{"id": 200 + i, "node_id": f"LA_{i}", "url": f"{API}/labels/{i}", "name": LABELS[i][0],
             "color": LABELS[i][1], "default": i < 2, "description": LABELS[i][2]} for i in chosen]


def issue(repo: Repo, number: int, seed: int) -> dict[str, Any]:
    """Issue `number` of `repo` (a pull request's issue when `number` is a multiple of PULL_EVERY)."""
    rng = _rng("issue", seed, repo.index, number)
    created = BASE + number * 3600 + repo.index * 60
    updated = created + rng.randint(0, 86_400 * 30)
    closed = rng.random() < 0.4
    assignees = [user(i) for i in rng.sample(range(len(LOGINS)), rng.randint(0, 2))]
    base = f"{API}/repos/{repo.full_name}"
    record: dict[str, Any] = {
        "id": 5_000_000 + repo.index * 100_000 + number, "node_id": f"I_kwDO{repo.index}_{number}",
        "url": f"{base}/issues/{number}", "repository_url": base, "html_url": f"{WEB}/{repo.full_name}/issues/{number}",
        "number": number, "state": "closed" if closed else "open",
        "state_reason": ("completed" if rng.random() < 0.8 else "not_planned") if closed else None,
        "title": f"{rng.choice(WORDS).capitalize()} in {rng.choice(WORDS)} #{number}",
        "body": None if rng.random() < 0.15 else f"Steps: {rng.choice(WORDS)} → {rng.choice(WORDS)}\n\n```\nboom\n```",
        "user": user(rng.randrange(len(LOGINS))), "labels": labels(rng),
        "assignee": assignees[0] if assignees else None, "assignees": assignees,
        "milestone": None if rng.random() < 0.6 else {
            "id": 700 + number % 3, "number": 1 + number % 3, "title": f"v{1 + number % 3}.0", "state": "open",
            "due_on": iso(BASE + 86_400 * 90 * (1 + number % 3)), "closed_at": None},
        "locked": rng.random() < 0.05, "comments": rng.randint(0, 40),
        "created_at": iso(created), "updated_at": iso(updated), "closed_at": iso(updated) if closed else None,
        "author_association": rng.choice(("OWNER", "MEMBER", "CONTRIBUTOR", "NONE")),
    }
    if number % PULL_EVERY == 0:
        record["pull_request"] = {"url": f"{base}/pulls/{number}", "html_url": f"{WEB}/{repo.full_name}/pull/{number}",
                                  "diff_url": f"{WEB}/{repo.full_name}/pull/{number}.diff",
                                  "merged_at": iso(updated) if closed else None}
    return record


def pull(repo: Repo, issue_record: dict[str, Any]) -> dict[str, Any]:
    """The pull request behind a pull request's issue record."""
    number = issue_record["number"]
    rng = _rng("pull", repo.index, number)
    merged = issue_record["state"] == "closed" and rng.random() < 0.7
    sha = hashlib.sha1(f"{repo.full_name}#{number}".encode()).hexdigest()
    keys = ("id", "node_id", "number", "state", "title", "user", "body", "labels", "assignee", "assignees",
            "milestone", "locked", "created_at", "updated_at", "closed_at", "author_association", "html_url")
    record = {k: issue_record[k] for k in keys}
    record.update({
        "id": 9_000_000 + repo.index * 100_000 + number, "url": f"{API}/repos/{repo.full_name}/pulls/{number}",
        "html_url": f"{WEB}/{repo.full_name}/pull/{number}", "draft": rng.random() < 0.1,
        "merged_at": issue_record["closed_at"] if merged else None, "merge_commit_sha": sha if merged else None,
        "requested_reviewers": [user(rng.randrange(len(LOGINS)))] if rng.random() < 0.5 else [],
        "head": {"label": f"{repo.owner}:feature-{number}", "ref": f"feature-{number}", "sha": sha[::-1],
                 "user": user(0), "repo": None},
        "base": {"label": f"{repo.owner}:main", "ref": "main", "sha": sha, "user": user(0), "repo": None},
    })
    return record


def commit(repo: Repo, index: int, seed: int, when: float | None = None, message: str | None = None) -> dict[str, Any]:
    """Commit `index` of `repo`'s default branch (later index: later commit)."""
    rng = _rng("commit", seed, repo.index, index)
    sha = hashlib.sha1(f"{repo.full_name}@{index}".encode()).hexdigest()
    date = when if when is not None else BASE + index * 1800 + repo.index * 7
    author = rng.randrange(len(LOGINS))
    signature = {"name": NAMES[author], "email": f"{LOGINS[author]}@users.noreply.github.com",
                 "date": iso(date - rng.randint(0, 600))}
    committer = {"name": "GitHub", "email": "noreply@github.com", "date": iso(date)}
    parent = hashlib.sha1(f"{repo.full_name}@{index - 1}".encode()).hexdigest()
    return {
        "sha": sha, "node_id": f"C_{sha[:12]}", "url": f"{API}/repos/{repo.full_name}/commits/{sha}",
        "html_url": f"{WEB}/{repo.full_name}/commit/{sha}",
        "commit": {"url": f"{API}/repos/{repo.full_name}/git/commits/{sha}", "author": signature,
                   "committer": committer,
                   "message": message or f"{rng.choice(WORDS).capitalize()}: fix {rng.choice(WORDS)}",
                   "tree": {"sha": sha[::-1], "url": f"{API}/repos/{repo.full_name}/git/trees/{sha[::-1]}"},
                   "comment_count": rng.randint(0, 3),
                   "verification": {"verified": rng.random() < 0.5, "reason": "valid", "signature": None,
                                    "payload": None}},
        "author": None if rng.random() < 0.1 else user(author), "committer": user(0),
        "parents": [] if index == 0 else [{"sha": parent, "url": f"{API}/repos/{repo.full_name}/commits/{parent}",
                                           "html_url": f"{WEB}/{repo.full_name}/commit/{parent}"}],
    }


def branches(repo: Repo, head: str) -> list[dict[str, Any]]:
    """The repository's branches (main and dev protected)."""
    names = ("main", "dev", "feature/ünïcode", "release/1.x", "fix/timeout")

    def sha(name: str) -> str:
        return head if name == "main" else hashlib.sha1(f"{repo.full_name}:{name}".encode()).hexdigest()

    return [{"name": name, "protected": name in ("main", "dev"),
             "commit": {"sha": sha(name),
                        "url": f"{API}/repos/{repo.full_name}/commits/{name}"}}
            for name in names]
