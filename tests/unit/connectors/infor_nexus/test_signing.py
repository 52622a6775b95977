"""HMAC signing of Infor Nexus requests: a fixed example worked out by hand, and what is covered."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.infor_nexus.signing import HmacSigned, canonical_query

CREDENTIALS = {"accessKeyId": "AK1", "userId": "agent@1", "secretAccessKey": "s3cret", "datakey": "dk/1"}


def signed(method: str, url: str, content: bytes | None = None) -> httpx.Request:
    request = httpx.Request(method, url, content=content)
    HmacSigned(clock=lambda: "2026-12-05T09:00:00Z").apply(CREDENTIALS, request)
    return request


def test_a_get_is_signed_over_method_path_sorted_query_timestamp_and_body_hash() -> None:
    request = signed("GET", "https://network.infornexus.com/rest/3.1/OrderDetail/query?oql=poNumber%20%3D%20%27A%27&limit=5")
    assert request.url.params["dataKey"] == "dk/1"
    text = "\n".join(["GET", "/rest/3.1/OrderDetail/query", "dataKey=dk%2F1&limit=5&oql=poNumber%20%3D%20%27A%27",
                      "2026-12-05T09:00:00Z", hashlib.sha256(b"").hexdigest()])
    expected = base64.b64encode(hmac.new(b"s3cret", text.encode(), hashlib.sha256).digest()).decode()
    assert request.headers["Authorization"] == f"HMAC_1 AK1:{expected}:agent@1"
    assert request.headers["X-Nexus-Timestamp"] == "2026-12-05T09:00:00Z"


def test_the_body_and_query_change_the_signature() -> None:
    base = signed("POST", "https://x.infornexus.com/rest/3.1/A/query", b"{}").headers["Authorization"]
    assert signed("POST", "https://x.infornexus.com/rest/3.1/A/query", b"{ }").headers["Authorization"] != base
    assert signed("POST", "https://x.infornexus.com/rest/3.1/A/query?x=1", b"{}").headers["Authorization"] != base


def test_canonical_query_sorts_and_percent_encodes() -> None:
    assert canonical_query([("b", "2 3"), ("a", "é"), ("a", "!")]) == "a=%21&a=%C3%A9&b=2%203"


def test_missing_keys_are_refused_without_naming_secrets() -> None:
    request = httpx.Request("GET", "https://x.infornexus.com/rest/3.1/A/query")
    with pytest.raises(ConnectorError) as refused:
        HmacSigned().apply({**CREDENTIALS, "secretAccessKey": ""}, request)
    assert refused.value.code == "InvalidCredentials" and "s3cret" not in refused.value.message


def test_the_fake_accepts_sluices_signature_on_text_that_needs_encoding() -> None:
    """The fake verifies from the documented scheme on its own; Sluice's signer must satisfy it,
    spaces, quotes and non-ASCII query text included."""
    import ssl

    from tests.fakes.infor_nexus.server import FakeInforNexus
    from tests.support.tls import certificates

    with FakeInforNexus(records=40) as fake:
        keys = fake.keys
        credentials = {"accessKeyId": keys.access_key_id, "userId": keys.user_id,
                       "secretAccessKey": keys.secret, "datakey": keys.data_key}
        with httpx.Client(verify=ssl.create_default_context(cafile=certificates().ca_file)) as client:
            request = client.build_request("GET", f"{fake.url}/rest/3.1/OrderDetail/query",
                                           params={"oql": "buyer.city = 'São Paulo' AND orderType != 'O''Neil'",
                                                   "limit": 50})
            HmacSigned().apply(credentials, request)
            answer = client.send(request)
            assert answer.status_code == 200, answer.text
            found = answer.json()["result"]
            assert found and all(r["buyer"]["city"] == "São Paulo" for r in found)
            wrong = client.build_request("GET", f"{fake.url}/rest/3.1/OrderDetail/query", params={"limit": 1})
            HmacSigned().apply({**credentials, "secretAccessKey": "other"}, wrong)
            assert client.send(wrong).status_code == 401
