"""The Infor Nexus connector: API, objects, push-down and profile check (connectors layer, Infor Nexus).

Declared on the shared REST layer (connectors/rest/).

* Base URL - the profile's `instanceUrl` (AppFlow's console calls it the subdomain): a host alone
  (`network.infornexus.com`) means its REST API, `https://<host>/rest/3.1`; a URL with a path is
  used as given. Known hosts: `infornexus.com`, `gtnexus.com` (Infor Nexus was GT Nexus).
* Auth - every request HMAC-signed from `accessKeyId`, `userId`, `secretAccessKey` and `datakey`
  (signing.py).
* Objects - `OrderDetail`, `ShipmentDetail` and `Invoice`, read with `GET /<Type>/query` (OQL,
  `limit` / `offset` paging, query.py). Every object carries `__metadata` (`uid`, `type`, `status`,
  `createTimestamp`, `modifyTimestamp`, `fingerprint`); `modifyTimestamp` drives incremental pulls.
* Errors are read from the JSON body (`message`); 401 → InvalidCredentials; 429 waits what
  `Retry-After` says.
* Profile check: a one-object `OrderDetail` query, which a valid key pair may run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.infor_nexus import CAPABILITIES, CONNECTOR_TYPE
from sluice.connectors.infor_nexus.query import OffsetHasMore, planner
from sluice.connectors.infor_nexus.signing import HmacSigned
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Field, Static

HOSTS = ("infornexus.com", "gtnexus.com")
API_PATH = "/rest/3.1"
PAGE_SIZE = 500


def _base_url(profile: ProfileView) -> str:
    given = str(profile.properties.get("instanceUrl") or "").strip() or outbound.endpoint_override(CONNECTOR_TYPE)
    if not given:
        raise ConnectorError("InvalidArgument", "the Infor Nexus connector profile has no instanceUrl")
    if "://" not in given:
        given = f"https://{given}"
    parts = urlsplit(given.rstrip("/"))
    return given.rstrip("/") if parts.path not in ("", "/") else f"{parts.scheme}://{parts.netloc}{API_PATH}"


API = RestApi(CONNECTOR_TYPE, "Infor Nexus", hosts=HOSTS, base_url=_base_url, auth=HmacSigned())

BETWEEN = ("BETWEEN",)
EQ = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()
PLACE = (Field("name"), Field("city"), Field("countryCode"))


def _metadata() -> tuple[Field, ...]:
    return (
        Field("uid", path="__metadata.uid", primary_key=True, nullable=False, filters=EQ,
              description="The object's unique ID on the network"),
        Field("status", path="__metadata.status", filters=EQ, description="The object's workflow status"),
        Field("createTimestamp", "datetime", path="__metadata.createTimestamp", filters=BETWEEN),
        Field("modifyTimestamp", "datetime", path="__metadata.modifyTimestamp", filters=BETWEEN, timestamp=True,
              description="When the object last changed (incremental pulls use it)"),
        Field("fingerprint", path="__metadata.fingerprint", filters=NONE,
              description="The object version's fingerprint"),
    )


def _query(name: str, label: str, description: str, fields: tuple[Field, ...]) -> Entity:
    all_fields = (*_metadata(), *fields)
    return Entity(name, label=label, description=description, path=f"/{name}/query", records="result",
                  paginator=OffsetHasMore(PAGE_SIZE), plan=planner(all_fields), fields=all_fields)


LINE = Field("line", "struct", members=(
    Field("lineItemNumber", "integer"), Field("itemDescription"), Field("quantity", "double"),
    Field("unitPrice", "double")))

ORDER_DETAIL = _query("OrderDetail", "Order Detail", "Purchase orders", (
    Field("poNumber", filters=EQ), Field("orderType", filters=EQ),
    Field("issueDate", "date", filters=BETWEEN), Field("currencyCode", filters=EQ),
    Field("totalAmount", "double", filters=(*EQ, *BETWEEN)),
    Field("buyer", "struct", members=PLACE, filters=NONE), Field("seller", "struct", members=PLACE, filters=NONE),
    Field("orderItem", "array", item=LINE, filters=NONE),
    Field("customFields", "json", filters=NONE, description="The community's own fields (free-form)"),
))

SHIPMENT_DETAIL = _query("ShipmentDetail", "Shipment Detail", "Shipments and their legs", (
    Field("shipmentNumber", filters=EQ), Field("transportMode", filters=EQ, values=("Ocean", "Air", "Road", "Rail")),
    Field("estimatedDepartureDate", "date", filters=BETWEEN), Field("poNumber", filters=EQ),
    Field("origin", "struct", members=PLACE, filters=NONE), Field("destination", "struct", members=PLACE,
                                                                   filters=NONE),
    Field("containerNumbers", "array", item=Field("container"), filters=NONE),
    Field("grossWeightKg", "double", filters=(*EQ, *BETWEEN)),
))

INVOICE = _query("Invoice", "Invoice", "Commercial invoices", (
    Field("invoiceNumber", filters=EQ), Field("poNumber", filters=EQ),
    Field("invoiceDate", "date", filters=BETWEEN), Field("currencyCode", filters=EQ),
    Field("totalAmount", "double", filters=(*EQ, *BETWEEN)),
    Field("lineItem", "array", item=LINE, filters=NONE),
))

CONNECTOR = RestConnector(
    API, Static((ORDER_DETAIL, SHIPMENT_DETAIL, INVOICE), vendor="Infor Nexus"),
    operators=frozenset(CAPABILITIES["supportedOperators"]),
    check=Request("GET", "/OrderDetail/query", {"limit": 1, "offset": 0}),
)
