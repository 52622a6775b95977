"""Everything the fake knows, in one object tests drive: the workspace, its tokens and its rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable

from .auth import READ_SCOPES, Auth
from .limits import Limits
from .methods import Methods
from .workspace import Workspace


class SlackState:
    """The fake's state and test controls (these are not Slack API).

    `workspace` holds users, conversations and messages (`post`, `reply`, `edit`, `leave`, `archive`);
    `auth` issues and expires tokens; `limits` forces 429s (`throttle_next`) and errors (`fail_next`).
    """

    def __init__(self, channels: int = 6, messages_per_channel: int = 100, users: int = 30, *,
                 direct_messages: int = 1, seed: int = 7, tiers: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.workspace = Workspace(channels, messages_per_channel, users, direct_messages=direct_messages,
                                   seed_value=seed, clock=clock)
        self.auth = Auth(clock=clock)
        self.limits = Limits(tiers=tiers)
        self.methods = Methods(self.workspace, self.auth)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Stamp new messages and judge token expiry on `clock` (e.g. a scheduler's accelerated time)."""
        self.workspace.clock = clock
        self.auth.clock = clock

    def token(self, scopes: tuple[str, ...] = READ_SCOPES, ttl: float | None = None) -> str:
        """A valid bot token (non-expiring unless `ttl`)."""
        return self.auth.issue_token(scopes, ttl)

    def throttle_next(self, count: int = 1, retry_after: int = 1, method: str | None = None, after: int = 0) -> None:
        """Answer `count` calls (after `after` good ones) with HTTP 429 and `Retry-After: retry_after`."""
        self.limits.throttle_next(count, retry_after, method, after)

    def expire_tokens(self) -> None:
        """Every access token issued so far now answers `token_expired`."""
        self.auth.expire_tokens()
