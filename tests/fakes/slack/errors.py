"""Slack's error answer: HTTP 200 (most errors) with `{"ok": false, "error": "<code>"}`.

Slack reports almost every failure in the body with status 200 and a short code
(https://docs.slack.dev/apis/web-api/#responses); rate limiting is the exception: HTTP 429 with
`Retry-After` and `{"ok": false, "error": "ratelimited"}` (https://docs.slack.dev/apis/web-api/rate-limits).
"""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """An `ok: false` answer with `error` (and optional extra keys such as `needed`/`provided`)."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack sends."""
        return {"ok": False, "error": self.error, **self.extra}


def missing_argument(name: str) -> SlackError:
    """A required argument was not sent (Slack names it in `response_metadata.messages`)."""
    return SlackError("invalid_arguments",
                      response_metadata={"messages": [f"[ERROR] missing required field: {name}"]})
