"""The fake SAP system driven by pyodata (SAP's own OData V2 client library) and, where pyodata has
no API (ODP delta links, OData V4, the OAuth token endpoint, 429s), by requests on SAP's documented wire.

pyodata reads the fake's `$metadata`, pages entity sets (`$top` / `$skip`, `$inlinecount`, server-driven
`__next`), filters, reads `/Date(...)/` and decimals into Python types, creates and updates entries
and sends `$batch` change sets - so the fake answers as an SAP Gateway service does for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pyodata
import pytest
import requests
from pyodata.exceptions import HttpError

from tests.fakes.sapodata.model import ODP_PATH, PRODUCTS_PATH, SALES_PATH, order_id, sales_order
from tests.fakes.sapodata.server import FakeSap
from tests.fakes.sapodata.system import OAUTH_CLIENT, OAUTH_SECRET, PASSWORD, USER
from tests.support.tls import certificates, tls_env

ORDERS = 430


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSap]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in tls_env().items():  # requests trusts the test CA through REQUESTS_CA_BUNDLE
            patch.setenv(key, value)
        with FakeSap(orders=ORDERS, facts=30, products=20) as server:
            yield server


def session(user: str = USER, password: str = PASSWORD) -> requests.Session:
    http = requests.Session()
    http.auth = (user, password)
    http.verify = certificates().ca_file
    http.params = {"sap-client": "100"}  # type: ignore[assignment]
    return http


@pytest.fixture(scope="module")
def client(fake: FakeSap) -> pyodata.Client:
    return pyodata.Client(f"{fake.url}{SALES_PATH}/", session())


def test_pyodata_reads_the_metadata(client: pyodata.Client) -> None:
    names = {s.name for s in client.schema.entity_sets}
    assert names == {"SalesOrderSet", "SalesOrderItemSet", "BusinessPartnerSet"}
    order = client.schema.entity_type("SalesOrder")
    assert [p.name for p in order.key_proprties] == ["SalesOrderID"]
    assert order.proprty("NetAmount").typ.name == "Edm.Decimal" and order.proprty("NetAmount").label == "Net Amount"
    assert order.proprty("InternalMemo").filterable is False
    assert client.schema.entity_set("SalesOrderSet").creatable is True


def test_pyodata_pages_with_top_skip_and_inline_count(client: pyodata.Client) -> None:
    page = client.entity_sets.SalesOrderSet.get_entities().count(inline=True).top(100).skip(200).execute()
    assert page.total_count == ORDERS
    assert [o.SalesOrderID for o in page] == [order_id(i) for i in range(201, 301)]
    first = page[0]
    expected = sales_order(201)
    assert Decimal(first.NetAmount) == Decimal(expected["NetAmount"]) and isinstance(first.CreatedAt, datetime)
    assert first.CreatedAt.timestamp() * 1000 == expected["CreatedAt"]
    assert first.ShipTo["City"] == expected["ShipTo"]["City"]


def test_pyodata_follows_server_driven_pages(fake: FakeSap, client: pyodata.Client) -> None:
    fake.state.page_cap = 150
    try:
        seen: list[str] = []
        page = client.entity_sets.SalesOrderSet.get_entities().execute()
        while True:
            seen += [o.SalesOrderID for o in page]
            if not page.next_url:
                break
            page = client.entity_sets.SalesOrderSet.get_entities().next_url(page.next_url).execute()
    finally:
        fake.state.page_cap = 5000
    assert seen == [order_id(i) for i in range(1, ORDERS + 1)]


def test_pyodata_filters_and_selects(client: pyodata.Client) -> None:
    orders = client.entity_sets.SalesOrderSet
    found = orders.get_entities().filter("Quantity gt 450 and IsDelivered eq true").select(
        "SalesOrderID,Quantity").execute()
    expected = [order_id(i) for i in range(1, ORDERS + 1)
                if sales_order(i)["Quantity"] > 450 and sales_order(i)["IsDelivered"]]
    assert [o.SalesOrderID for o in found] == expected
    assert orders.get_entities().count().filter("Status eq 'A'").execute() == sum(
        1 for i in range(1, ORDERS + 1) if sales_order(i)["Status"] == "A")
    with pytest.raises(HttpError) as refused:
        orders.get_entities().filter("InternalMemo eq 'm1'").execute()
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["error"]["message"]["value"] == "Property InternalMemo is not filterable"


def test_wrong_credentials_are_a_401_with_saps_logon_page(fake: FakeSap) -> None:
    with pytest.raises(HttpError) as refused:
        pyodata.Client(f"{fake.url}{SALES_PATH}/", session(password="wrong"))
    assert refused.value.response.status_code == 401 and "Logon failed" in refused.value.response.text
    assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic realm=")


def csrf(http: requests.Session, fake: FakeSap) -> None:
    """SAP's documented handshake, as pyodata's README does it: fetch a token, send it with the session."""
    answer = http.head(f"{fake.url}{SALES_PATH}/", headers={"X-CSRF-Token": "Fetch"})
    http.headers["X-CSRF-Token"] = answer.headers["X-CSRF-Token"]


def test_pyodata_creates_and_updates_behind_the_csrf_token(fake: FakeSap) -> None:
    http = session()
    client = pyodata.Client(f"{fake.url}{SALES_PATH}/", http)
    with pytest.raises(HttpError) as refused:
        client.entity_sets.SalesOrderSet.create_entity().set(CustomerName="x").execute()
    assert refused.value.response.status_code == 403
    assert refused.value.response.text == "CSRF token validation failed"
    csrf(http, fake)
    created = client.entity_sets.SalesOrderSet.create_entity().set(
        CustomerName="Neukunde Köln", NetAmount="12.30", Quantity=4).execute()
    assert created.SalesOrderID == order_id(ORDERS + 1) and Decimal(created.NetAmount) == Decimal("12.30")
    client.entity_sets.SalesOrderSet.update_entity(SalesOrderID=created.SalesOrderID).set(Quantity=9).execute()
    again = client.entity_sets.SalesOrderSet.get_entity(created.SalesOrderID).execute()
    assert again.Quantity == 9 and again.CustomerName == "Neukunde Köln"


def test_pyodata_batch_change_sets_answer_per_change_set(fake: FakeSap) -> None:
    http = session()
    client = pyodata.Client(f"{fake.url}{SALES_PATH}/", http)
    csrf(http, fake)
    fake.state.reject("SalesOrderSet", "CustomerName", "Gesperrt", "Customer is blocked")
    batch = client.create_batch()
    for name in ("Batch A", "Gesperrt", "Batch B"):
        changeset = client.create_changeset()
        changeset.add_request(client.entity_sets.SalesOrderSet.create_entity().set(CustomerName=name))
        batch.add_request(changeset)
    with pytest.raises(HttpError) as failed:  # pyodata raises for the change set SAP refused
        batch.execute()
    assert failed.value.response.status_code == 400
    names = {r["CustomerName"] for r in fake.state.services[SALES_PATH].sets["SalesOrderSet"].records()}
    assert {"Batch A", "Batch B"} <= names and "Gesperrt" not in names


def test_a_429_carries_retry_after_and_saps_error_body(fake: FakeSap, client: pyodata.Client) -> None:
    fake.state.throttle_next(1, retry_after=3, path="SalesOrderSet")
    with pytest.raises(HttpError) as throttled:
        client.entity_sets.SalesOrderSet.get_entities().top(1).execute()
    assert throttled.value.response.status_code == 429 and throttled.value.response.headers["Retry-After"] == "3"
    assert client.entity_sets.SalesOrderSet.get_entities().top(1).execute()[0].SalesOrderID == order_id(1)


def test_odp_initial_load_then_delta_link_on_the_documented_wire(fake: FakeSap) -> None:
    http = session()
    url = f"{fake.url}{ODP_PATH}/FactsOfSalesDocument"
    answer = http.get(url, params={"$format": "json"}, headers={"Prefer": "odata.track-changes, odata.maxpagesize=20"})
    assert answer.headers["Preference-Applied"] == "odata.track-changes"
    rows = answer.json()["d"]["results"]
    while "__next" in answer.json()["d"]:
        answer = http.get(answer.json()["d"]["__next"])
        rows += answer.json()["d"]["results"]
    assert len(rows) == 30 and "__delta" in answer.json()["d"]
    delta = answer.json()["d"]["__delta"]
    assert "!deltatoken='D" in delta
    fake.state.change(("0001000001", "000010"), Status="X")
    fake.state.delete(("0001000002", "000010"))
    changes = http.get(delta).json()["d"]
    assert [(r["DocumentID"], r["ODQ_CHANGEMODE"], r["ODQ_ENTITYCNTR"]) for r in changes["results"]] == [
        ("0001000001", "U", "1"), ("0001000002", "D", "-1")]
    assert http.get(changes["__delta"]).json()["d"]["results"] == []


def test_oauth_tokens_and_their_expiry(fake: FakeSap) -> None:
    token_url = f"{fake.url}/sap/bc/sec/oauth2/token"
    verify = certificates().ca_file
    issued = requests.post(token_url, data={"grant_type": "client_credentials"}, auth=(OAUTH_CLIENT, OAUTH_SECRET),
                           verify=verify).json()
    http = requests.Session()
    http.verify = verify
    http.headers["Authorization"] = f"Bearer {issued['access_token']}"
    assert len(pyodata.Client(f"{fake.url}{SALES_PATH}/", http).entity_sets.SalesOrderSet.get_entities().top(2)
               .execute()) == 2
    fake.state.expire_tokens()
    expired = http.get(f"{fake.url}{SALES_PATH}/SalesOrderSet", params={"$top": "1"})
    assert expired.status_code == 401 and 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    renewed = requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
                                             "client_id": OAUTH_CLIENT, "client_secret": OAUTH_SECRET}, verify=verify)
    assert renewed.status_code == 200 and renewed.json()["access_token"] != issued["access_token"]
    bad = requests.post(token_url, data={"grant_type": "client_credentials"}, auth=(OAUTH_CLIENT, "x"), verify=verify)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


def test_an_odata_v4_service_pages_with_next_links(fake: FakeSap) -> None:
    http = session()
    fake.state.page_cap = 8
    try:
        answer = http.get(f"{fake.url}{PRODUCTS_PATH}/Products", params={"$count": "true"}).json()
        ids = [p["ProductID"] for p in answer["value"]]
        assert answer["@odata.count"] == 20
        while "@odata.nextLink" in answer:
            answer = http.get(answer["@odata.nextLink"]).json()
            ids += [p["ProductID"] for p in answer["value"]]
    finally:
        fake.state.page_cap = 5000
    assert ids == [f"P-{i:06d}" for i in range(1, 21)]
    metadata = http.get(f"{fake.url}{PRODUCTS_PATH}/$metadata").text
    assert 'Version="4.0"' in metadata and 'Type="Edm.Date"' in metadata
