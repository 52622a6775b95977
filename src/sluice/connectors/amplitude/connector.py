"""The Amplitude connector: API, the `events` object and the profile check (connectors layer, Amplitude).

Declared on the shared REST layer (connectors/rest/). Amplitude's docs:

* Export API - https://amplitude.com/docs/apis/analytics/export : `GET /api/2/export?start=&end=`
  with HTTP basic auth (API key as the user, secret key as the password); export.py reads it;
* Dashboard REST API - https://amplitude.com/docs/apis/analytics/dashboard-rest :
  `GET /api/2/events/list` (the project's event types), used to check a profile's keys and to
  offer `event_type`'s values in the entity metadata.

Hosts: `https://amplitude.com` (the default) or, for projects with EU data residency,
`https://analytics.eu.amplitude.com`. The profile has no host (`AmplitudeConnectorProfileProperties`
is empty), so an EU project is reached by setting `SLUICE_ENDPOINT_URL_AMPLITUDE` to the EU host.
"""

from __future__ import annotations

from dataclasses import replace

from sluice.connectors.amplitude import CAPABILITIES, CONNECTOR_TYPE, export
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import Basic
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Field, Static

DEFAULT_URL = "https://amplitude.com"
EU_URL = "https://analytics.eu.amplitude.com"

API = RestApi(CONNECTOR_TYPE, "Amplitude", hosts=("amplitude.com",), default_url=DEFAULT_URL,
              auth=Basic(username_key="apiKey", password_key="secretKey"))

NONE: tuple[str, ...] = ()
BETWEEN = ("BETWEEN",)


def _text(name: str, description: str = "") -> Field:
    return Field(name, filters=NONE, description=description)


def _instant(name: str, description: str, filters: tuple[str, ...] = NONE, timestamp: bool = False) -> Field:
    # Amplitude writes instants as "2024-03-01 10:15:00.123000" in UTC: the ISO reader takes them.
    return Field(name, "datetime", filters=filters, description=description, timestamp=timestamp)


def _open(name: str, description: str) -> Field:
    # Properties are whatever the app sent: kept whole as JSON text (the nesting rule).
    return Field(name, "json", filters=NONE, description=description)


EVENT_FIELDS: tuple[Field, ...] = (
    Field("uuid", primary_key=True, nullable=False, filters=NONE, description="Unique id of the event row"),
    Field("event_id", "integer", filters=NONE, description="Event counter within the session"),
    Field("event_type", filters=NONE, description="The event's name"),
    _instant("server_upload_time", "When Amplitude's servers received the event (UTC); the export's hour range "
             "is on this time, so BETWEEN filters and incremental pulls on it are pushed down", BETWEEN, True),
    _instant("event_time", "When the event happened (UTC)", BETWEEN),
    _instant("client_event_time", "The event's time on the device"),
    _instant("client_upload_time", "When the device uploaded the event"),
    _instant("server_received_time", "When Amplitude's servers received the upload"),
    _instant("processed_time", "When Amplitude processed the event"),
    _instant("user_creation_time", "When Amplitude first saw the user"),
    _text("user_id"),
    _text("device_id"),
    Field("amplitude_id", "integer", filters=NONE),
    Field("session_id", "integer", filters=NONE, description="Session start in epoch milliseconds (-1 outside one)"),
    _text("$insert_id", "The id the sender gave the event for de-duplication"),
    _text("app"),
    _text("platform"),
    _text("os_name"),
    _text("os_version"),
    _text("device_brand"),
    _text("device_manufacturer"),
    _text("device_model"),
    _text("device_family"),
    _text("device_type"),
    _text("device_carrier"),
    _text("language"),
    _text("country"),
    _text("region"),
    _text("city"),
    _text("dma"),
    Field("location_lat", "double", filters=NONE),
    Field("location_lng", "double", filters=NONE),
    _text("ip_address"),
    _text("library"),
    _text("version_name"),
    _text("start_version"),
    _text("adid"),
    _text("idfa"),
    Field("paying", "boolean", filters=NONE),
    Field("is_attribution_event", "boolean", filters=NONE),
    Field("sample_rate", "double", filters=NONE),
    _text("amplitude_event_type"),
    _open("event_properties", "The event's own properties (free-form JSON)"),
    _open("user_properties", "The user's properties when the event happened (free-form JSON)"),
    _open("group_properties", "Properties of the user's groups (free-form JSON)"),
    _open("groups", "The groups the user belongs to (free-form JSON)"),
    _open("data", "Amplitude's own extra data on the event (free-form JSON)"),
    Field("amplitude_attribution_ids", "array", item=Field("id"), filters=NONE),
)


def describe_events(client: RestClient, entity: Entity) -> list[Field]:
    """The event fields, with `event_type`'s values read live from the project's event list."""
    body = client.get("/api/2/events/list")
    names = sorted({str(e.get("value")) for e in (body or {}).get("data") or []
                    if isinstance(e, dict) and e.get("value") and not e.get("deleted")})
    return [replace(f, values=tuple(names)) if f.name == "event_type" else f for f in entity.fields]


EVENTS = Entity(
    "events", label="Events", description="Raw events from Amplitude's Export API, by server upload hour",
    path="/api/2/export", fields=EVENT_FIELDS, describe=describe_events, read=export.read_export,
)


def check(client: RestClient) -> None:
    """The profile check: the project's event list answers only to a valid API key + secret key."""
    client.call(Request("GET", "/api/2/events/list"))


CONNECTOR = RestConnector(API, Static((EVENTS,), vendor="Amplitude"),
                          operators=frozenset(CAPABILITIES["supportedOperators"]), check=check)
