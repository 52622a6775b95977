"""The Zendesk connector on the shared REST layer (connectors layer, Zendesk).

* API: the profile's `instanceUrl` (`https://<subdomain>.zendesk.com`); OAuth bearer tokens
  (`ZendeskConnectorProfileCredentials.accessToken`), renewed with the refresh-token grant at
  `/oauth/tokens` when the profile holds a refresh token (an authorization code exchanged at
  CreateConnectorProfile brings one); errors are Zendesk's `{"error", "description", "details"}`.
* Objects (AppFlow names them as Zendesk does): `tickets`, `users`, `organizations` read through
  the incremental exports (export.py), `groups`, `ticket_fields`, `user_fields` through the
  cursor-paginated lists; custom fields become columns (fields.py).
* Writes: INSERT, UPDATE, UPSERT of tickets, users and organizations (writer.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.base import ProfileView
from sluice.connectors.rest.api import RestApi, VendorError, default_classify, json_error
from sluice.connectors.rest.auth import Bearer, refresh_grant
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Static
from sluice.connectors.rest.paging import Cursor
from sluice.connectors.zendesk import CAPABILITIES, CONNECTOR_TYPE, export, fields
from sluice.connectors.zendesk.writer import ZendeskWriter

WRITES = ("INSERT", "UPDATE", "UPSERT")


def zendesk_error(response: httpx.Response, body: Any) -> VendorError:
    """Zendesk's error body: `error` (a code, or a sentence such as "Couldn't authenticate you"),
    `description`, and `details` (field -> [{description}] for RecordInvalid) folded into the message."""
    found = json_error(response, body)
    if not isinstance(body, Mapping):
        return found
    error = body.get("error")
    message = found.message
    if isinstance(error, str) and " " in error and not body.get("description"):
        return VendorError("Unauthorized" if response.status_code == 401 else f"HTTP_{response.status_code}",
                           error, response.status_code)
    details = body.get("details")
    if isinstance(details, Mapping):
        said = [str(item.get("description")) for items in details.values() if isinstance(items, list)
                for item in items if isinstance(item, Mapping) and item.get("description")]
        if said:
            message = f"{message} ({'; '.join(said)})"
    return VendorError(found.code, message, found.status, found.retry_after)


RENEWABLE = Bearer(grant=refresh_grant(lambda base, credentials: f"{base}/oauth/tokens"))
FIXED = Bearer()


def auth_for(profile: ProfileView) -> Bearer:
    """Renew tokens only when the profile holds a refresh token (or an authorization code to exchange
    for one): AppFlow's Zendesk credentials carry none and Zendesk's tokens need not expire, so a
    refused token is otherwise final, reported with Zendesk's message."""
    credentials = profile.credentials
    request = credentials.get("oAuthRequest")
    code = request.get("authCode") if isinstance(request, Mapping) else None
    return RENEWABLE if credentials.get("refreshToken") or code else FIXED


API = RestApi(CONNECTOR_TYPE, "Zendesk", hosts=("zendesk.com",), auth=auth_for, errors=zendesk_error,
              classify=default_classify)


def _list(name: str, label: str, path: str, declared: tuple[Any, ...]) -> Entity:
    return Entity(name, label=label, path=path, records=name, fields=declared,
                  paginator=Cursor("meta.after_cursor", param="page[after]", has_more_path="meta.has_more",
                                   size_param="page[size]", size=100))


TICKETS = Entity("tickets", label="Tickets", path="/api/v2/incremental/tickets/cursor.json", records="tickets",
                 fields=fields.WRITABLE["tickets"], describe=fields.describe_tickets,
                 read=export.cursor_export("tickets"), record=fields.flatten_ticket, writes=WRITES)
USERS = Entity("users", label="Users", path="/api/v2/incremental/users/cursor.json", records="users",
               fields=fields.WRITABLE["users"], describe=fields.describe_users, read=export.cursor_export("users"),
               writes=WRITES)
ORGANIZATIONS = Entity("organizations", label="Organizations", path="/api/v2/incremental/organizations.json",
                       records="organizations", fields=fields.WRITABLE["organizations"],
                       read=export.time_export("organizations"), writes=WRITES)

CATALOG = Static((TICKETS, USERS, ORGANIZATIONS,
                  _list("groups", "Groups", "/api/v2/groups.json", fields.GROUPS),
                  _list("ticket_fields", "Ticket fields", "/api/v2/ticket_fields.json", fields.TICKET_FIELDS),
                  _list("user_fields", "User fields", "/api/v2/user_fields.json", fields.USER_FIELDS)),
                 vendor="Zendesk")


CONNECTOR = RestConnector(API, CATALOG, operators=frozenset(CAPABILITIES["supportedOperators"]),
                             check=Request("GET", "/api/v2/users/me.json"), writer=ZendeskWriter())
