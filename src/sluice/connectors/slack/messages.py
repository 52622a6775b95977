"""Reading one conversation's messages, threads included (connectors layer, Slack).

`conversations.history` lists a conversation's top-level messages, newest first, between `oldest` and
`latest`; thread replies are only in `conversations.replies` (channel + the parent's `ts`)
(https://docs.slack.dev/reference/methods/conversations.history,
https://docs.slack.dev/reference/methods/conversations.replies). A read:

1. turns the flow's time bounds (the incremental window and Filter comparisons on `timestamp`) into
   `oldest` / `latest` with `inclusive=true` (push-down; the source still drops records outside the
   window, whose start is exclusive);
2. pages through history with `cursor` / `response_metadata.next_cursor` while `has_more`;
3. for each thread parent with replies that may fall in the bounds (its `ts` before the upper bound,
   its `latest_reply` after the lower one), pages through its replies and keeps those in the bounds
   (the parent itself, and replies also sent to the channel, come from history).

Replies posted to a thread whose parent is older than the bounds are found by reading history from
`THREAD_LOOKBACK` earlier than the lower bound (those older top-level messages are only used to find
threads, not emitted). Edits keep a message's `ts`, so an incremental pull does not see them: Slack
has no "changed since" listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query

PAGE_SIZE = 200  # Slack recommends no more than 200 per page
THREAD_LOOKBACK = 7 * 86400.0  # seconds of older history scanned for threads with new replies
TIME_FIELD = "timestamp"


def slack_ts(seconds: float) -> str:
    """Epoch seconds as a Slack `ts` argument (microsecond precision)."""
    micros = round(seconds * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_seconds(ts: Any) -> float | None:
    """A message `ts` as epoch seconds (None when absent or not a number)."""
    try:
        return float(ts)
    except (TypeError, ValueError):
        return None


def _inside(ts: Any, low: float | None, high: float | None) -> bool:
    seconds = ts_seconds(ts)
    if seconds is None:
        return False
    # Compare in whole microseconds: a float bound and a ts text may differ in the last bit.
    micros = round(seconds * 1_000_000)
    return (low is None or micros >= round(low * 1_000_000)) and (high is None or micros <= round(high * 1_000_000))


def cursor_pages(client: RestClient, method: str, params: Mapping[str, Any]) -> Iterator[tuple[Any, int]]:
    """(body, bytes) of each page of a cursor-paged Slack method."""
    cursor = ""
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = client.call(Request("GET", f"api/{method}", dict(query)))
        body = answer.body if isinstance(answer.body, Mapping) else {}
        yield body, len(answer.response.content)
        meta = body.get("response_metadata")
        cursor = str(meta.get("next_cursor") or "") if isinstance(meta, Mapping) else ""
        if not cursor or body.get("has_more") is False:
            return


def read_messages(channel: str) -> Callable[[RestClient, Query, Request], Iterator[Page]]:
    """The `Entity.read` of conversation `channel`'s messages (see the module docstring)."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        low, high = query.time_range(TIME_FIELD)
        params: dict[str, Any] = {"channel": channel, "limit": PAGE_SIZE}
        if low is not None:
            params["oldest"] = slack_ts(max(0.0, low - THREAD_LOOKBACK))
        if high is not None:
            params["latest"] = slack_ts(high)
        if low is not None or high is not None:
            params["inclusive"] = "true"
        for body, size in cursor_pages(client, "conversations.history", params):
            messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
            yield Page([m for m in messages if _inside(m.get("ts"), low, high)], size)
            for parent in messages:
                # Its replies lie between its own ts and latest_reply: some may be in the bounds.
                if parent.get("reply_count") and _inside(parent.get("latest_reply"), low, None) \
                        and _inside(parent.get("ts"), None, high):
                    yield from _replies(client, channel, parent, low, high)

    return read


def _replies(client: RestClient, channel: str, parent: Mapping[str, Any], low: float | None,
             high: float | None) -> Iterator[Page]:
    params: dict[str, Any] = {"channel": channel, "ts": parent["ts"], "limit": PAGE_SIZE}
    if low is not None:
        params["oldest"] = slack_ts(low)
        params["inclusive"] = "true"
    for body, size in cursor_pages(client, "conversations.replies", params):
        # A reply also sent to the channel (thread_broadcast) is in history already: read it there once.
        replies = [m for m in body.get("messages") or []
                   if isinstance(m, Mapping) and m.get("ts") != parent["ts"] and m.get("subtype") != "thread_broadcast"
                   and _inside(m.get("ts"), low, high)]
        yield Page(replies, size)
