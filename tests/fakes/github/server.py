"""Serve a fake GitHub over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import GitHubState


class FakeGitHub(HttpsFake):
    """A fake GitHub served over TLS; `state` is its `GitHubState` (controls and request log)."""

    def __init__(self, repos: int = 4, issues: int = 60, commits: int = 40, port: int = 0,
                 state: GitHubState | None = None) -> None:
        self.state = state or GitHubState(repos=repos, issues=issues, commits=commits)
        super().__init__(build_app(self.state), port, name="fake-github")

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def token(self, login: str = "octocat") -> str:
        """A valid OAuth app access token (no expiry), without the web flow."""
        return self.state.issue_token(login)[0]


def stack_fake() -> FakeGitHub:
    """A small fake GitHub that knows the credentials cdk-appflow's GitHub stack carries (as
    transcribed in tests/integration/cdk_appflow_stacks.py): use it with `with`."""
    fake = FakeGitHub(repos=2, issues=10, commits=5)
    fake.state.issue_token(token="gho_example0000")
    fake.state.personal_access_token("octocat", "ghp_example0000")
    return fake
