"""sluice.protocol.query: the one reading of a query string that SigV4 and the parser share."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sluice.protocol.errors import ProtocolError
from sluice.protocol.query import parse_query


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        (b"", []),
        (b"tagKeys=a%2Bb", [("tagKeys", "a+b")]),
        (b"tagKeys=a+b", [("tagKeys", "a b")]),
        (b"tagKeys=a%20b&tagKeys=c", [("tagKeys", "a b"), ("tagKeys", "c")]),
        (b"x=&y", [("x", ""), ("y", "")]),
        (b"k=%C3%A9", [("k", "\u00e9")]),
        (b"a=1;b=2", [("a", "1;b=2")]),  # only '&' separates
    ],
)
def test_pairs(raw: bytes, pairs: list[tuple[str, str]]) -> None:
    assert parse_query(raw) == pairs
    assert parse_query(raw.decode("ascii")) == pairs


@pytest.mark.parametrize("raw", [b"k=%ED%A0%80", b"k=%FF", b"k=%C3", "k=\u00e9".encode(), b"k=\xff"])
def test_text_that_is_not_utf8_is_refused(raw: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_query(raw)
    assert (caught.value.code, caught.value.status) == ("SerializationException", 400)


@pytest.mark.parametrize("value", ["a+b", "a b", "x/y:z", "\u00e9", "100%"])
def test_botocore_round_trip(value: str) -> None:
    """What botocore encodes for a value reads back as that value."""
    request = AWSRequest(method="DELETE", url="https://appflow.us-east-1.amazonaws.com/tags/x",
                         params={"tagKeys": value})
    SigV4Auth(Credentials("AKID", "secret"), "appflow", "us-east-1").add_auth(request)
    query = request.prepare().url.split("?", 1)[1]
    assert parse_query(query.encode("ascii")) == [("tagKeys", value)]
