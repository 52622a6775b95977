"""The fake Infor Nexus API driven with `requests` (Infor Nexus has no Python client), signing each
request per docs/connectors/infor-nexus.md with a `requests` auth hook written here: HMAC checks,
OQL, offset paging with `hasMore`, 429 with Retry-After, error bodies."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from tests.fakes.infor_nexus.hmac_check import Keys
from tests.fakes.infor_nexus.server import FakeInforNexus
from tests.support.tls import certificates

RECORDS = 260


class Signed(requests.auth.AuthBase):
    """HMAC_1 signing (dataKey added to the query first); `clock` and `secret` can be overridden to fail."""

    def __init__(self, keys: Keys, secret: str | None = None, stamp: str | None = None) -> None:
        self.keys, self.secret, self.stamp = keys, secret or keys.secret, stamp

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        sep = "&" if "?" in (request.url or "") else "?"
        request.prepare_url(f"{request.url}{sep}dataKey={self.keys.data_key}", None)
        parts = urlsplit(request.url or "")
        stamp = self.stamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pairs = sorted(f"{quote(k, safe='-._~')}={quote(v, safe='-._~')}"
                       for k, v in parse_qsl(parts.query, keep_blank_values=True))
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        text = "\n".join([request.method or "GET", parts.path, "&".join(pairs), stamp,
                          hashlib.sha256(body).hexdigest()])
        mac = base64.b64encode(hmac.new(self.secret.encode(), text.encode(), hashlib.sha256).digest()).decode()
        request.headers["X-Nexus-Timestamp"] = stamp
        request.headers["Authorization"] = f"HMAC_1 {self.keys.access_key_id}:{mac}:{self.keys.user_id}"
        return request


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeInforNexus]:
    with FakeInforNexus(records=RECORDS) as server:
        yield server


def query(fake: FakeInforNexus, kind: str, auth: Any = None, **params: Any) -> requests.Response:
    return requests.get(f"{fake.url}/rest/3.1/{kind}/query", params=params, auth=auth or Signed(fake.keys),
                        verify=certificates().ca_file, timeout=10)


def test_offset_paging_reads_every_order_once(fake: FakeInforNexus) -> None:
    seen, offset = [], 0
    while True:
        answer = query(fake, "OrderDetail", limit=100, offset=offset)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [r["__metadata"]["uid"] for r in body["result"]]
        assert body["resultInfo"]["count"] == len(body["result"])
        if not body["resultInfo"]["hasMore"]:
            break
        offset += body["resultInfo"]["count"]
    assert len(seen) == RECORDS == len(set(seen))


def test_oql_filters_on_fields_and_metadata(fake: FakeInforNexus) -> None:
    everything = query(fake, "Invoice", limit=1000).json()["result"]
    euros = query(fake, "Invoice", limit=1000, oql="currencyCode = 'EUR' AND totalAmount >= 1000").json()["result"]
    assert [r["invoiceNumber"] for r in euros] == [r["invoiceNumber"] for r in everything
                                                   if r["currencyCode"] == "EUR" and r["totalAmount"] >= 1000]
    window = query(fake, "Invoice", limit=1000, oql="__metadata.modifyTimestamp > '2026-11-01T00:10:00.000Z' AND "
                                                    "__metadata.modifyTimestamp <= '2026-11-01T00:20:00.000Z'")
    assert [r["invoiceNumber"] for r in window.json()["result"]] == [f"INV-{i:08d}" for i in range(11, 21)]
    picked = query(fake, "OrderDetail", oql="poNumber IN ('PO-4800000003', 'PO-4800000007')").json()["result"]
    assert [r["poNumber"] for r in picked] == ["PO-4800000003", "PO-4800000007"]
    bad = query(fake, "OrderDetail", oql="poNumber ~ 'x'")
    assert bad.status_code == 400 and bad.json()["message"].startswith("Invalid OQL")


def test_records_are_nested_with_nulls_and_unicode(fake: FakeInforNexus) -> None:
    orders = query(fake, "OrderDetail", limit=1000).json()["result"]
    assert all(isinstance(o["orderItem"], list) and "city" in o["buyer"] for o in orders)
    assert any(o["customFields"] is None for o in orders) and any(o["totalAmount"] is None for o in orders)
    assert any(not o["buyer"]["city"].isascii() for o in orders)


def test_signatures_are_verified(fake: FakeInforNexus) -> None:
    wrong_secret = query(fake, "OrderDetail", auth=Signed(fake.keys, secret="not-the-secret"))
    assert wrong_secret.status_code == 401 and "Signature does not match" in wrong_secret.json()["message"]
    stale = query(fake, "OrderDetail", auth=Signed(fake.keys, stamp="2020-01-01T00:00:00Z"))
    assert stale.status_code == 401 and "timestamp" in stale.json()["message"]
    other = Keys(fake.keys.access_key_id, fake.keys.user_id, fake.keys.secret, "wrong-datakey")
    assert query(fake, "OrderDetail", auth=Signed(other)).status_code == 401
    unsigned = requests.get(f"{fake.url}/rest/3.1/OrderDetail/query", verify=certificates().ca_file, timeout=10)
    assert unsigned.status_code == 401


def test_a_signature_covers_the_query(fake: FakeInforNexus) -> None:
    class Tampered(Signed):
        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            signed = super().__call__(request)
            signed.prepare_url(f"{signed.url}&limit=999", None)
            return signed

    assert query(fake, "OrderDetail", auth=Tampered(fake.keys), limit=5).status_code == 401


def test_429_carries_retry_after_then_recovers(fake: FakeInforNexus) -> None:
    fake.state.throttle_next(1)
    limited = query(fake, "ShipmentDetail")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json() == {"message": "Rate limit exceeded", "status": 429}
    assert query(fake, "ShipmentDetail").status_code == 200
    assert query(fake, "NoSuchType").status_code == 404


def test_modified_objects_move_in_time(fake: FakeInforNexus) -> None:
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    changed = fake.state.modify("ShipmentDetail", 5, at, transportMode="Air")
    assert changed["__metadata"]["modifyTimestamp"] == "2026-12-01T00:00:00.000Z"
    found = query(fake, "ShipmentDetail", oql="__metadata.modifyTimestamp >= '2026-12-01T00:00:00.000Z'").json()
    assert [r["shipmentNumber"] for r in found["result"]] == ["SHP0000005"]
