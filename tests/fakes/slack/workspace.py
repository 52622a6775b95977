"""The fake workspace's data: users, conversations and their messages and threads, plus test controls.

Seeded messages are computed from their index (see `seed.py`): top-level message i of a conversation
has `ts` = start + i * STEP_US, thread reply k of it start + i * STEP_US + (k + 1) * REPLY_STEP_US, so a
time range maps to an index range by arithmetic and 500k-message workspaces cost almost no memory.
Messages added later (`post`, `reply`) are kept in lists; edits are kept as overrides by `ts`.
`conversations.history` lists top-level messages newest first; thread replies only come from
`conversations.replies` (https://docs.slack.dev/reference/methods/conversations.history,
https://docs.slack.dev/reference/methods/conversations.replies).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import seed
from .seed import REPLY_STEP_US, STEP_US, ts_str, ts_us


@dataclass
class Conversation:
    """One channel or IM: its object, its seeded message count, and what tests added or edited since."""

    info: dict[str, Any]
    seeded: int
    start_us: int
    added: list[dict[str, Any]] = field(default_factory=list)  # top-level messages posted later, oldest first
    added_replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # thread_ts -> replies
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> fields replaced

    @property
    def id(self) -> str:
        return str(self.info["id"])

    def seeded_us(self, index: int) -> int:
        return self.start_us + index * STEP_US


class Workspace:
    """A Slack workspace (team) with `channels` channels, `direct_messages` IMs and `users` people.

    Every conversation has `messages_per_channel` seeded top-level messages, about one in eight of
    them with a thread of 1-5 replies. `clock` (default `time.time`) stamps messages posted later;
    tests running Sluice's scheduler faster than real time replace it.
    """

    def __init__(self, channels: int = 6, messages_per_channel: int = 100, users: int = 30, *,
                 direct_messages: int = 1, seed_value: int = 7, clock: Callable[[], float] = time.time) -> None:
        rng = random.Random(f"{seed_value}:team")
        self.lock = threading.RLock()
        self.seed = seed_value
        self.clock = clock
        self.team_id = seed.make_id("T0", rng, 9)
        self.team_name = "Acme Ünited"
        self.domain = "acme-united"
        self.users = seed.users(users, self.team_id, seed_value)
        self._users_by_id = {u["id"]: u for u in self.users}
        self.bots = [u for u in self.users if u["is_bot"]]
        self.bot_user = self.bots[0]
        self.authors = [u["id"] for u in self.users
                        if not u["is_bot"] and not u["deleted"] and u["id"] != "USLACKBOT"] or ["USLACKBOT"]
        self.conversations: dict[str, Conversation] = {}
        for n, info in enumerate(seed.channels(channels, direct_messages, self.team_id, self.users, seed_value)):
            start = (seed.EPOCH + n * 3600) * 1_000_000 + 100 * (n + 1)
            conversation = Conversation(info, messages_per_channel, start)
            self.conversations[conversation.id] = conversation
        self._last_us = 0

    # -- lookups -------------------------------------------------------------------------------------------------
    def user(self, user_id: str) -> dict[str, Any] | None:
        """A user object by id."""
        return self._users_by_id.get(user_id)

    def conversation(self, channel_id: str) -> Conversation | None:
        """A conversation by id."""
        return self.conversations.get(channel_id)

    def channel_ids(self) -> list[str]:
        """Ids of all conversations, in listing order."""
        return list(self.conversations)

    def top_level_count(self, channel_id: str) -> int:
        """How many top-level messages `conversations.history` holds for a conversation."""
        conversation = self.conversations[channel_id]
        return conversation.seeded + len(conversation.added)

    def history(self, channel_id: str, low_us: int, high_us: int) -> Iterator[dict[str, Any]]:
        """Top-level messages with low_us <= ts <= high_us, newest first."""
        conversation = self.conversations[channel_id]
        with self.lock:
            added = [m for m in conversation.added if low_us <= ts_us(m["ts"]) <= high_us]
        for msg in reversed(added):
            yield self._finish(conversation, dict(msg))
        if conversation.seeded == 0 or high_us < conversation.start_us:
            return
        top = min(conversation.seeded - 1, (high_us - conversation.start_us) // STEP_US)
        bottom = max(0, -((conversation.start_us - low_us) // STEP_US))  # ceil((low - start) / step)
        for index in range(top, bottom - 1, -1):
            yield self._seeded(conversation, index)

    def thread(self, channel_id: str, ts: str) -> list[dict[str, Any]] | None:
        """The message `ts` and the replies of its thread, oldest first; None when no such message.

        A reply's `ts` names its whole thread, as Slack allows."""
        conversation = self.conversations[channel_id]
        parent = self.find(channel_id, ts)
        if parent is None:
            return None
        if parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
            parent = self.find(channel_id, parent["thread_ts"])
            assert parent is not None
        return [parent, *self._replies(conversation, parent)]

    def find(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """Any message (top-level or reply) of a conversation by its exact `ts`."""
        conversation = self.conversations[channel_id]
        try:
            us = ts_us(ts)
        except ValueError:
            return None
        with self.lock:
            for msg in conversation.added:
                if msg["ts"] == ts:
                    return self._finish(conversation, dict(msg))
            for replies in conversation.added_replies.values():
                for msg in replies:
                    if msg["ts"] == ts:
                        return self._finish(conversation, dict(msg))
        offset = us - conversation.start_us
        if offset < 0:
            return None
        index, rest = divmod(offset, STEP_US)
        if index >= conversation.seeded:
            return None
        if rest == 0:
            return self._seeded(conversation, index)
        k, exact = divmod(rest, REPLY_STEP_US)
        if exact == 0 and k >= 1:
            parent = self._seeded(conversation, index)
            for msg in self._seeded_replies(conversation, parent, index):
                if msg["ts"] == ts:
                    return msg
        return None

    # -- building messages ---------------------------------------------------------------------------------------
    def _seeded(self, conversation: Conversation, index: int) -> dict[str, Any]:
        msg, replies = seed.message(self.seed, conversation.id, index, conversation.seeded_us(index), self.team_id,
                                    self.authors, self.bots)
        return self._finish(conversation, msg, index, replies)

    def _seeded_reply_count(self, conversation: Conversation, index: int) -> int:
        return seed.message(self.seed, conversation.id, index, conversation.seeded_us(index), self.team_id,
                            self.authors, self.bots)[1]

    def _seeded_replies(self, conversation: Conversation, parent: dict[str, Any], index: int) -> list[dict[str, Any]]:
        count = self._seeded_reply_count(conversation, index)
        base = conversation.seeded_us(index)
        return [self._edited(conversation, seed.reply(self.seed, conversation.id, parent, k,
                                                      base + (k + 1) * REPLY_STEP_US, self.team_id, self.authors))
                for k in range(count)]

    def _replies(self, conversation: Conversation, parent: dict[str, Any]) -> list[dict[str, Any]]:
        index = self._seeded_index(conversation, parent["ts"])
        seeded = self._seeded_replies(conversation, parent, index) if index is not None else []
        with self.lock:
            added = [self._edited(conversation, dict(m)) for m in conversation.added_replies.get(parent["ts"], [])]
        return seeded + added

    def _seeded_index(self, conversation: Conversation, ts: str) -> int | None:
        offset = ts_us(ts) - conversation.start_us
        index, rest = divmod(offset, STEP_US)
        return index if offset >= 0 and rest == 0 and index < conversation.seeded else None

    def _finish(self, conversation: Conversation, msg: dict[str, Any], index: int | None = None,
                seeded_replies: int | None = None) -> dict[str, Any]:
        """Apply edits and thread bookkeeping (`thread_ts`, `reply_count`, `latest_reply`...) to a top-level message."""
        msg = self._edited(conversation, msg)
        if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
            return msg  # a reply
        if index is None:
            index = self._seeded_index(conversation, msg["ts"])
        replies: list[dict[str, Any]] = []
        if index is not None:
            if seeded_replies is None:
                seeded_replies = self._seeded_reply_count(conversation, index)
            if seeded_replies:
                replies = self._seeded_replies(conversation, msg, index)
        with self.lock:
            replies += conversation.added_replies.get(msg["ts"], [])
        if replies:
            users = list(dict.fromkeys(r.get("user") or r.get("bot_id") for r in replies))
            msg.update({"thread_ts": msg["ts"], "reply_count": len(replies), "reply_users_count": len(users),
                        "latest_reply": replies[-1]["ts"], "reply_users": users[:5], "is_locked": False,
                        "subscribed": False})
        return msg

    def _edited(self, conversation: Conversation, msg: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            change = conversation.edits.get(msg["ts"])
        if change:
            msg.update(change)
        return msg

    # -- controls (not Slack API) --------------------------------------------------------------------------------
    def now_us(self) -> int:
        """A fresh, strictly increasing `ts` in microseconds from the workspace clock."""
        with self.lock:
            self._last_us = max(int(self.clock() * 1_000_000), self._last_us + 1)
            return self._last_us

    def post(self, channel_id: str, text: str, user: str | None = None, **extra: Any) -> dict[str, Any]:
        """Add a top-level message now (as if someone posted it); returns it."""
        conversation = self.conversations[channel_id]
        with self.lock:
            us = max(self.now_us(), conversation.seeded_us(conversation.seeded) if conversation.seeded else 0)
            self._last_us = us
            who = user or self.authors[0]
            msg = {"client_msg_id": f"00000000-0000-4000-a000-{us % 10 ** 12:012d}", "type": "message",
                   "text": text, "user": who, "ts": ts_str(us), "team": self.team_id,
                   "blocks": [{"type": "rich_text", "block_id": "added", "elements": [
                       {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}], **extra}
            conversation.added.append(msg)
            return dict(msg)

    def reply(self, channel_id: str, thread_ts: str, text: str, user: str | None = None,
              broadcast: bool = False) -> dict[str, Any]:
        """Add a reply now to the thread of message `thread_ts` (which becomes a thread parent).

        `broadcast`: also sent to the channel, as Slack's "Also send to #channel" does: the reply then
        shows in `conversations.history` too, with `subtype: thread_broadcast`."""
        conversation = self.conversations[channel_id]
        parent = self.find(channel_id, thread_ts)
        if parent is None:
            raise KeyError(thread_ts)
        with self.lock:
            us = self.now_us()
            msg = {"client_msg_id": f"00000000-0000-4000-b000-{us % 10 ** 12:012d}", "type": "message",
                   "text": text, "user": user or self.authors[-1], "ts": ts_str(us), "team": self.team_id,
                   "thread_ts": parent["ts"], "parent_user_id": parent.get("user")}
            if broadcast:
                msg["subtype"] = "thread_broadcast"
                conversation.added.append(msg)
            conversation.added_replies.setdefault(parent["ts"], []).append(msg)
            return dict(msg)

    def edit(self, channel_id: str, ts: str, text: str) -> dict[str, Any]:
        """Edit a message's text now: it keeps its `ts` and gains `edited` (so ts-ranged reads do not see it)."""
        conversation = self.conversations[channel_id]
        original = self.find(channel_id, ts)
        if original is None:
            raise KeyError(ts)
        with self.lock:
            conversation.edits[ts] = {
                "text": text, "edited": {"user": original.get("user") or self.authors[0], "ts": ts_str(self.now_us())},
                "blocks": [{"type": "rich_text", "block_id": "edit", "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
        found = self.find(channel_id, ts)
        assert found is not None
        return found

    def leave(self, channel_id: str) -> None:
        """The app is no longer a member: its history calls answer `not_in_channel`."""
        with self.lock:
            self.conversations[channel_id].info["is_member"] = False

    def archive(self, channel_id: str) -> None:
        """Archive a channel (`exclude_archived=true` listings skip it)."""
        with self.lock:
            self.conversations[channel_id].info["is_archived"] = True
