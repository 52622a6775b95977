"""Slack's objects as AppFlow names them (connectors layer, Slack).

* `conversations` - the conversations the token can see (`conversations.list`; channels, private
  channels, group and direct messages, as far as its `*:read` scopes allow). It has nested entities:
  one `conversations/<conversation id>` per conversation, labelled with the channel's name;
* `conversations/<id>` - that conversation's messages, thread replies included (messages.py);
* `users` - the workspace's members (`users.list`).

The conversation types listed follow the token's scopes, which Slack reports in the
`X-OAuth-Scopes` header of every answer (`auth.test` asks for it once per listing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Page, Query
from sluice.connectors.slack.fields import CONVERSATION_FIELDS, MESSAGE_FIELDS, USER_FIELDS
from sluice.connectors.slack.messages import PAGE_SIZE, cursor_pages, read_messages

PREFIX = "conversations/"
# Conversation type -> the scope that lists it (https://docs.slack.dev/reference/methods/conversations.list).
TYPE_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read", "mpim": "mpim:read",
               "im": "im:read"}


def conversation_types(client: RestClient) -> str:
    """The `types` argument the token may list (all four when Slack does not report its scopes)."""
    answer = client.call(Request("GET", "api/auth.test"))
    header = answer.response.headers.get("x-oauth-scopes")
    if header is None:
        return ",".join(TYPE_SCOPES)
    scopes = {s.strip() for s in header.split(",")}
    kinds = [kind for kind, scope in TYPE_SCOPES.items() if scope in scopes]
    if not kinds:
        raise ConnectorError("AccessDenied", "Slack's token has none of the scopes that list conversations "
                             f"({', '.join(TYPE_SCOPES.values())}); add one to the Slack app and authorize again")
    return ",".join(kinds)


def _read_conversations(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    params = {"types": conversation_types(client), "limit": PAGE_SIZE}
    for body, size in cursor_pages(client, "conversations.list", params):
        yield Page([c for c in body.get("channels") or [] if isinstance(c, Mapping)], size)


CONVERSATIONS = Entity(
    "conversations", label="Conversations", description="Channels, private channels and direct messages the "
    "token can see; each one's messages are the nested entities conversations/<id>",
    path="api/conversations.list", fields=CONVERSATION_FIELDS, read=_read_conversations, has_children=True)
def _read_users(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    for body, size in cursor_pages(client, "users.list", {"limit": PAGE_SIZE}):
        yield Page([u for u in body.get("members") or [] if isinstance(u, Mapping)], size)


USERS = Entity("users", label="Users", description="The workspace's members, bots included",
               path="api/users.list", fields=USER_FIELDS, read=_read_users)


def _label(conversation: Mapping[str, Any]) -> str:
    if conversation.get("is_im"):
        return f"Direct message with {conversation.get('user') or 'a user'}"
    return f"#{conversation.get('name') or conversation.get('id')}"


def messages_entity(conversation: Mapping[str, Any]) -> Entity:
    """The messages of one conversation (the object `conversations/<id>`)."""
    channel = str(conversation["id"])
    return Entity(
        PREFIX + channel, label=_label(conversation),
        description=f"Messages of {_label(conversation)}, thread replies included",
        path="api/conversations.history", params={"channel": channel}, fields=MESSAGE_FIELDS,
        read=read_messages(channel))


class SlackCatalog:
    """The `Catalog` of the Slack connector (see the module docstring)."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if not parent:
            return [CONVERSATIONS, USERS]
        if parent != CONVERSATIONS.name:
            return []
        found: list[Entity] = []
        for page in _read_conversations(client, Query(CONVERSATIONS.name), Request()):
            found.extend(messages_entity(c) for c in page.records)
        return found

    def entity(self, client: RestClient, name: str) -> Entity:
        if name == CONVERSATIONS.name:
            return CONVERSATIONS
        if name == USERS.name:
            return USERS
        channel = name[len(PREFIX):] if name.startswith(PREFIX) else ""
        if not channel or "/" in channel:
            raise ConnectorError("ResourceNotFound", f"Slack has no object {name!r}: the objects are conversations, "
                                 "users and conversations/<conversation id>")
        try:
            info = client.json(Request("GET", "api/conversations.info", {"channel": channel}))
        except ConnectorError as exc:
            if exc.code == "ResourceNotFound":
                raise ConnectorError("ResourceNotFound", f"Slack has no conversation {channel!r} the token can see "
                                     f"(object {name!r})") from None
            raise
        conversation = info.get("channel") if isinstance(info, Mapping) else None
        return messages_entity(conversation if isinstance(conversation, Mapping) else {"id": channel})
