"""The Singular connector: API, the `report` object and the profile check (connectors layer, Singular).

Declared on the shared REST layer (connectors/rest/). Singular's Reporting API
(https://support.singular.net/hc/en-us/articles/360045245692-Reporting-API-Reference) lives at
`https://api.singular.net`; the API key goes in the `Authorization` header (the docs allow it there or
in the `api_key` parameter: a header keeps it out of URLs and logs). Every answer is an envelope
`{"status": 0, "substatus": 0, "value": ...}`; a `status` other than 0 is an error whose `value` is
the message (`envelope`). Report downloads may come from Singular's storage on Amazon S3, so
`amazonaws.com` hosts are allowed for those links (sent without the API key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import HeaderKeys
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Static

from . import CAPABILITIES, CONNECTOR_TYPE, fields, reports


def errors(response: httpx.Response, body: Any) -> VendorError:
    """Singular's envelope error (`value` is the message), else the common shapes."""
    if isinstance(body, Mapping) and "status" in body and isinstance(body.get("value"), str):
        return VendorError(f"substatus {body.get('substatus')}", str(body["value"]), response.status_code)
    return json_error(response, body)


def envelope(response: httpx.Response, body: Any) -> VendorError | None:
    """An HTTP 200 whose envelope `status` is not 0 is an error."""
    if isinstance(body, Mapping) and body.get("status") not in (None, 0):
        message = body.get("value") if isinstance(body.get("value"), str) else "Singular reported an error"
        return VendorError(f"substatus {body.get('substatus')}", str(message), response.status_code)
    return None


API = RestApi(CONNECTOR_TYPE, "Singular", hosts=("singular.net", "amazonaws.com"),
              default_url="https://api.singular.net", auth=HeaderKeys(headers={"Authorization": "apiKey"}),
              errors=errors, envelope=envelope)

REPORT: Entity = Entity(
    "report", label="Report", description="A Singular report by day: the flow's dimensions and metrics",
    path="/api/v2.0/create_async_report", fields=tuple(fields.standard_fields()), describe=fields.describe,
    read=reports.reader(lambda: REPORT),
)


def check(client: RestClient) -> None:
    """The profile check: the account's filter dimensions answer only to a valid API key."""
    client.call(Request("GET", "/api/v2.0/reporting/filters"))


CONNECTOR = RestConnector(API, Static((REPORT,), vendor="Singular"),
                          operators=frozenset(CAPABILITIES["supportedOperators"]), check=check)
