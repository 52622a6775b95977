"""The Web API methods of the fake: each takes the call's arguments and token and returns the `ok` body.

Arguments, defaults and errors follow each method's page under https://docs.slack.dev/reference/methods/
(auth.test, conversations.list, conversations.info, conversations.history, conversations.replies,
users.list, users.info, oauth.v2.access). Collections page with `limit` and an opaque `cursor`; the next
cursor is `response_metadata.next_cursor`, empty (or absent) on the last page
(https://docs.slack.dev/apis/web-api/pagination). `conversations.history` also says `has_more`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from itertools import islice
from typing import Any

from .auth import Auth, Token
from .errors import SlackError, missing_argument
from .seed import ts_us
from .workspace import Workspace

Args = dict[str, str]
NEVER = 2 ** 62  # "latest" defaults to now; added messages may carry a clock running ahead of real time


def encode_cursor(kind: str, value: str) -> str:
    """An opaque cursor, shaped like Slack's (base64 of `kind:value`)."""
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> str:
    """The value inside a cursor of ours, or `invalid_cursor`."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    found, _, value = text.partition(":")
    if found != kind or not value:
        raise SlackError("invalid_cursor")
    return value


def flag(args: Args, name: str) -> bool:
    """A boolean argument: Slack takes `true`/`1`."""
    return args.get(name, "").lower() in ("1", "true")


def limit(args: Args, default: int, maximum: int) -> int:
    """The `limit` argument, clamped to the method's maximum; non-numbers are `invalid_limit`."""
    raw = args.get("limit")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SlackError("invalid_limit") from None
    if value < 0:
        raise SlackError("invalid_limit")
    return min(value, maximum) or default


def need(token: Token, scope: str) -> None:
    """`missing_scope` (naming what is needed and what the token has) unless the token has `scope`."""
    if scope not in token.scopes:
        raise SlackError("missing_scope", needed=scope, provided=",".join(token.scopes))


class Methods:
    """The methods of one workspace, by Slack method name."""

    def __init__(self, workspace: Workspace, auth: Auth) -> None:
        self.ws = workspace
        self.auth = auth
        self.table: dict[str, Callable[[Args, Token], dict[str, Any]]] = {
            "auth.test": self.auth_test, "conversations.list": self.conversations_list,
            "conversations.info": self.conversations_info, "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies, "users.list": self.users_list,
            "users.info": self.users_info,
        }

    def auth_test(self, args: Args, token: Token) -> dict[str, Any]:
        bot = self.ws.bot_user
        return {"url": f"https://{self.ws.domain}.slack.com/", "team": self.ws.team_name, "user": bot["name"],
                "team_id": self.ws.team_id, "user_id": bot["id"], "bot_id": bot["profile"]["bot_id"],
                "is_enterprise_install": False}

    # -- conversations -------------------------------------------------------------------------------------------
    def conversations_list(self, args: Args, token: Token) -> dict[str, Any]:
        kinds = [k.strip() for k in (args.get("types") or "public_channel").split(",") if k.strip()]
        scopes = {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read",
                  "mpim": "mpim:read"}
        if any(k not in scopes for k in kinds):
            raise SlackError("invalid_types")
        for kind in kinds:
            need(token, scopes[kind])
        size = limit(args, 100, 1000)
        after = decode_cursor(args["cursor"], "team") if args.get("cursor") else None
        exclude_archived = flag(args, "exclude_archived")
        with self.ws.lock:
            infos = [dict(c.info) for c in self.ws.conversations.values()]
        wanted = [c for c in infos if _kind(c) in kinds and not (exclude_archived and c.get("is_archived"))
                  and (_kind(c) != "private_channel" or c.get("is_member"))]
        if after is not None:
            ids = [c["id"] for c in wanted]
            if after not in ids:
                raise SlackError("invalid_cursor")
            wanted = wanted[ids.index(after):]
        page, rest = wanted[:size], wanted[size:]
        return {"channels": page, "response_metadata": {"next_cursor": encode_cursor("team", rest[0]["id"])
                                                        if rest else ""}}

    def conversations_info(self, args: Args, token: Token) -> dict[str, Any]:
        conversation = self._conversation(args)
        need(token, _read_scope(conversation.info, "read"))
        with self.ws.lock:
            return {"channel": dict(conversation.info)}

    def conversations_history(self, args: Args, token: Token) -> dict[str, Any]:
        conversation = self._conversation(args)
        need(token, _read_scope(conversation.info, "history"))
        if not conversation.info.get("is_im") and not conversation.info.get("is_member"):
            raise SlackError("not_in_channel")
        low, high = self._range(args)
        if args.get("cursor"):
            high = min(high, _ts_arg(decode_cursor(args["cursor"], "next_ts"), "invalid_cursor"))
        size = limit(args, 100, 999)
        page = list(islice(self.ws.history(conversation.id, low, high), size + 1))
        body: dict[str, Any] = {"messages": page[:size], "has_more": len(page) > size, "pin_count": 0,
                                "channel_actions_ts": None, "channel_actions_count": 0}
        if len(page) > size:
            body["response_metadata"] = {"next_cursor": encode_cursor("next_ts", page[size]["ts"])}
        return body

    def conversations_replies(self, args: Args, token: Token) -> dict[str, Any]:
        conversation = self._conversation(args)
        need(token, _read_scope(conversation.info, "history"))
        if not args.get("ts"):
            raise missing_argument("ts")
        thread = self.ws.thread(conversation.id, args["ts"])
        if thread is None:
            raise SlackError("thread_not_found")
        low, high = self._range(args)
        if args.get("cursor"):
            low = max(low, _ts_arg(decode_cursor(args["cursor"], "next_ts"), "invalid_cursor"))
        size = limit(args, 1000, 1000)
        page = [m for m in thread if low <= ts_us(m["ts"]) <= high][: size + 1]
        body: dict[str, Any] = {"messages": page[:size], "has_more": len(page) > size}
        if len(page) > size:
            body["response_metadata"] = {"next_cursor": encode_cursor("next_ts", page[size]["ts"])}
        return body

    # -- users ---------------------------------------------------------------------------------------------------
    def users_list(self, args: Args, token: Token) -> dict[str, Any]:
        need(token, "users:read")
        size = limit(args, 0, 1000)
        after = decode_cursor(args["cursor"], "user") if args.get("cursor") else None
        people = self.ws.users
        if after is not None:
            ids = [u["id"] for u in people]
            if after not in ids:
                raise SlackError("invalid_cursor")
            people = people[ids.index(after):]
        if size == 0 and len(people) > 1000:
            raise SlackError("limit_required")  # as Slack does when a huge team is asked for in one page
        page, rest = (people[:size], people[size:]) if size else (people, [])
        return {"members": [_visible(u, token) for u in page], "cache_ts": int(self.ws.clock()),
                "response_metadata": {"next_cursor": encode_cursor("user", rest[0]["id"]) if rest else ""}}

    def users_info(self, args: Args, token: Token) -> dict[str, Any]:
        need(token, "users:read")
        if not args.get("user"):
            raise missing_argument("user")
        user = self.ws.user(args["user"])
        if user is None:
            raise SlackError("user_not_found")
        return {"user": _visible(user, token)}

    # -- oauth ---------------------------------------------------------------------------------------------------
    def oauth_v2_access(self, args: Args, basic: str | None) -> dict[str, Any]:
        """`oauth.v2.access`: no token; client credentials in Basic auth or the form."""
        issued = self.auth.exchange(args, basic)
        return {"app_id": self.ws.bot_user["profile"]["api_app_id"], "authed_user": {"id": self.ws.authors[0]},
                "token_type": "bot", "bot_user_id": self.ws.bot_user["id"],
                "team": {"id": self.ws.team_id, "name": self.ws.team_name}, "enterprise": None,
                "is_enterprise_install": False, **issued}

    # -- shared --------------------------------------------------------------------------------------------------
    def _conversation(self, args: Args) -> Any:
        channel = args.get("channel")
        if not channel:
            raise missing_argument("channel")
        conversation = self.ws.conversation(channel)
        if conversation is None:
            raise SlackError("channel_not_found")
        return conversation

    def _range(self, args: Args) -> tuple[int, int]:
        """[low, high] in microseconds from `oldest`, `latest` and `inclusive` (bounds exclusive by default)."""
        inclusive = flag(args, "inclusive")
        low, high = 0, NEVER
        if args.get("oldest"):
            low = _ts_arg(args["oldest"], "invalid_ts_oldest") + (0 if inclusive else 1)
        if args.get("latest"):
            high = _ts_arg(args["latest"], "invalid_ts_latest") - (0 if inclusive else 1)
        return low, high


def _ts_arg(value: str, error: str) -> int:
    try:
        return ts_us(value)
    except ValueError:
        raise SlackError(error) from None


def _kind(info: dict[str, Any]) -> str:
    if info.get("is_im"):
        return "im"
    if info.get("is_mpim"):
        return "mpim"
    return "private_channel" if info.get("is_private") else "public_channel"


def _read_scope(info: dict[str, Any], verb: str) -> str:
    prefix = {"public_channel": "channels", "private_channel": "groups", "im": "im", "mpim": "mpim"}[_kind(info)]
    return f"{prefix}:{verb}"


def _visible(user: dict[str, Any], token: Token) -> dict[str, Any]:
    """A user as this token may see it: `profile.email` needs `users:read.email`."""
    if "users:read.email" in token.scopes or "email" not in user["profile"]:
        return user
    return {**user, "profile": {k: v for k, v in user["profile"].items() if k != "email"}}

