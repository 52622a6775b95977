"""The fields of Slack's objects as Sluice reads them (connectors layer, Slack).

Names are Slack's own (https://docs.slack.dev/reference/objects/conversation-object,
https://docs.slack.dev/reference/objects/user-object, https://docs.slack.dev/messaging/retrieving-messages).
Nested shapes Slack documents (reactions, files, edited, topic, profile) are Arrow structs and lists;
Block Kit `blocks` and legacy `attachments`, whose shape varies by block type, are kept whole as JSON
text. One field is Sluice's: a message's `timestamp`, its `ts` read as an instant (microseconds, UTC),
so flows can filter on time and pull incrementally (`ts` itself stays the message's text id).
"""

from __future__ import annotations

from sluice.connectors.rest.entities import Field

TIME_FILTERS = ("LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "BETWEEN")
TEXT = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()


def _text(name: str, description: str = "", filters: tuple[str, ...] = TEXT, **kw: object) -> Field:
    return Field(name, "string", description=description, filters=filters, **kw)  # type: ignore[arg-type]


def _flag(name: str, description: str = "") -> Field:
    return Field(name, "boolean", description=description, filters=("EQUAL_TO",))


_STRINGS = Field("item", "string")
_REACTION = Field("reaction", "struct", members=(Field("name"), Field("users", "array", item=_STRINGS),
                                                 Field("count", "integer")))
_FILE = Field("file", "struct", members=(
    Field("id"), Field("name"), Field("title"), Field("mimetype"), Field("filetype"), Field("size", "integer"),
    Field("user"), Field("created", "datetime", format="epoch_s"), Field("url_private"), Field("permalink")))
_TOPIC = (Field("value"), Field("creator"), Field("last_set", "datetime", format="epoch_s"))

MESSAGE_FIELDS = (
    _text("ts", "The message's id within its conversation (seconds.microseconds)", primary_key=True,
          nullable=False),
    Field("timestamp", "datetime", path="ts", format="epoch_s", timestamp=True, filters=TIME_FILTERS,
          description="The message's ts as an instant (Sluice's field; Slack filters on it with oldest/latest)"),
    _text("type"),
    _text("subtype", "bot_message, channel_join, thread_broadcast... (absent for plain messages)"),
    _text("user", "Id of the user who posted it"),
    _text("bot_id"),
    _text("username", "Display name of a bot message"),
    _text("text", "The message text (mrkdwn)", filters=NONE),
    _text("team"),
    _text("client_msg_id", filters=NONE),
    _text("thread_ts", "ts of the thread's parent message (equals ts on the parent)"),
    _text("parent_user_id", "The thread parent's author, on replies"),
    Field("reply_count", "integer", filters=NONE),
    Field("reply_users_count", "integer", filters=NONE),
    _text("latest_reply", "ts of the thread's latest reply", filters=NONE),
    Field("reply_users", "array", item=_STRINGS, filters=NONE),
    Field("is_locked", "boolean", filters=NONE),
    Field("edited", "struct", members=(Field("user"), Field("ts")), filters=NONE),
    Field("reactions", "array", item=_REACTION, filters=NONE),
    Field("files", "array", item=_FILE, filters=NONE),
    Field("upload", "boolean", filters=NONE),
    Field("blocks", "json", description="Block Kit blocks, as JSON text", filters=NONE),
    Field("attachments", "json", description="Legacy attachments, as JSON text", filters=NONE),
    Field("icons", "json", filters=NONE),
)

CONVERSATION_FIELDS = (
    _text("id", "The conversation's id", primary_key=True, nullable=False),
    _text("name"),
    _text("name_normalized", filters=NONE),
    _flag("is_channel"), _flag("is_group"), _flag("is_im"), _flag("is_mpim"), _flag("is_private"),
    _flag("is_archived"), _flag("is_general"), _flag("is_shared"), _flag("is_ext_shared"), _flag("is_org_shared"),
    _flag("is_member", "Whether the app is a member (needed to read its messages)"),
    Field("created", "datetime", format="epoch_s", filters=TIME_FILTERS),
    Field("updated", "datetime", format="epoch_ms", filters=NONE),
    _text("creator"),
    _text("user", "The other person of a direct message"),
    _text("context_team_id", filters=NONE),
    Field("num_members", "integer", filters=NONE),
    Field("topic", "struct", members=_TOPIC, filters=NONE),
    Field("purpose", "struct", members=_TOPIC, filters=NONE),
    Field("previous_names", "array", item=_STRINGS, filters=NONE),
    Field("shared_team_ids", "array", item=_STRINGS, filters=NONE),
)

_PROFILE = (
    Field("title"), Field("phone"), Field("real_name"), Field("real_name_normalized"), Field("display_name"),
    Field("display_name_normalized"), Field("email"), Field("first_name"), Field("last_name"),
    Field("status_text"), Field("status_emoji"), Field("status_expiration", "integer"), Field("avatar_hash"),
    Field("image_24"), Field("image_72"), Field("team"), Field("bot_id"), Field("api_app_id"),
)

USER_FIELDS = (
    _text("id", "The user's id", primary_key=True, nullable=False),
    _text("team_id"),
    _text("name", "The user's handle"),
    _flag("deleted"),
    _text("color", filters=NONE),
    _text("real_name"),
    _text("tz"), _text("tz_label", filters=NONE),
    Field("tz_offset", "integer", filters=NONE),
    Field("profile", "struct", members=_PROFILE, filters=NONE),
    _flag("is_admin"), _flag("is_owner"), _flag("is_primary_owner"), _flag("is_restricted"),
    _flag("is_ultra_restricted"), _flag("is_bot"), _flag("is_app_user"), _flag("is_email_confirmed"),
    Field("has_2fa", "boolean", filters=NONE),
    Field("updated", "datetime", format="epoch_s", timestamp=True, filters=TIME_FILTERS,
          description="When the user's record last changed"),
)
