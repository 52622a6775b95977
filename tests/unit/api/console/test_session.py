"""`sluice.api.console.session`: the cookie is signed, expires, and says nothing secret."""

from __future__ import annotations

import base64
import json
import os

from sluice.api.console.session import MAX_AGE_SECONDS, Session, SessionCodec, anonymous, cookie_header

KEY = os.urandom(32)


def signed_in() -> Session:
    codec = SessionCodec(KEY)
    return Session(csrf="token-1", issued_at=1_700_000_000.0, account_id="123456789012",
                   access_key_id="AKIDEXAMPLE", key_check=codec.key_check("the-secret"), region="eu-west-1")


def test_a_session_round_trips_and_holds_no_secret():
    codec = SessionCodec(KEY)
    value = codec.dumps(signed_in())
    assert codec.loads(value, now=1_700_000_100.0) == signed_in()
    payload = base64.urlsafe_b64decode(value.split(".")[0] + "==")
    assert b"the-secret" not in payload and json.loads(payload)["account_id"] == "123456789012"


def test_a_changed_payload_or_signature_or_key_is_refused():
    codec = SessionCodec(KEY)
    payload, signature = codec.dumps(signed_in()).split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**fields, "account_id": "999999999999"}).encode()).decode()
    assert codec.loads(f"{forged.rstrip('=')}.{signature}", now=1_700_000_100.0) is None
    assert codec.loads(f"{payload}.{signature[:-2]}AA", now=1_700_000_100.0) is None
    assert SessionCodec(os.urandom(32)).loads(f"{payload}.{signature}", now=1_700_000_100.0) is None


def test_malformed_values_are_no_session():
    codec = SessionCodec(KEY)
    for value in (None, "", "abc", "a.b.c", ".", "!!!.???"):
        assert codec.loads(value) is None
    payload = base64.urlsafe_b64encode(b'{"unexpected": 1}').decode().rstrip("=")
    assert codec.loads(f"{payload}.{codec._sign(payload)}") is None  # signed, but not a session


def test_a_session_expires():
    codec = SessionCodec(KEY)
    value = codec.dumps(signed_in())
    assert codec.loads(value, now=1_700_000_000.0 + MAX_AGE_SECONDS - 1) is not None
    assert codec.loads(value, now=1_700_000_000.0 + MAX_AGE_SECONDS + 1) is None


def test_the_key_check_follows_the_secret_and_the_key():
    codec = SessionCodec(KEY)
    assert codec.key_check("a") == codec.key_check("a") != codec.key_check("b")
    assert SessionCodec(os.urandom(32)).key_check("a") != codec.key_check("a")


def test_anonymous_sessions_get_their_own_token():
    first, second = anonymous(), anonymous()
    assert not first.signed_in and first.csrf != second.csrf and len(first.csrf) >= 32
    assert signed_in().signed_in and signed_in().with_region("us-west-2").region == "us-west-2"


def test_the_cookie_is_httponly_strict_and_scoped():
    header = cookie_header("v", secure=False)
    assert header.startswith("sluice_console=v;")
    assert {"HttpOnly", "SameSite=Strict", "Path=/console"} <= set(header.split("; "))
    assert "Secure" not in header and header.endswith("SameSite=Strict")
    assert cookie_header("v", secure=True).endswith("; Secure")
