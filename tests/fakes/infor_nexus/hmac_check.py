"""Verifying a request's HMAC signature, written from the scheme in docs/connectors/infor-nexus.md.

Header `Authorization: HMAC_1 <accessKeyId>:<signature>:<userId>` and `X-Nexus-Timestamp`; the signed
text is METHOD, raw path, sorted RFC 3986 `name=value` query pairs joined by `&`, the timestamp and the
hex SHA-256 of the body, one per line; the signature is Base64(HMAC-SHA256(secretAccessKey, text)).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

SKEW = dt.timedelta(minutes=15)  # signatures older (or newer) than this are refused


@dataclass(frozen=True)
class Keys:
    """One API user's credentials as the network holds them."""

    access_key_id: str
    user_id: str
    secret: str
    data_key: str


class SignatureError(Exception):
    """Why a request is refused (the 401 message)."""


def _pct(text: str) -> str:
    return quote(text, safe="-._~")


def expected_signature(secret: str, method: str, raw_path: bytes, query_string: bytes, timestamp: str,
                       body: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    query = "&".join(sorted(_pct(k) + "=" + _pct(v) for k, v in pairs))
    lines = [method.upper(), raw_path.decode("latin-1"), query, timestamp, hashlib.sha256(body).hexdigest()]
    digest = hmac.new(secret.encode(), "\n".join(lines).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(keys: dict[str, Keys], headers: dict[str, str], method: str, raw_path: bytes, query_string: bytes,
           body: bytes, now: dt.datetime) -> Keys:
    """The caller's keys when the request is signed right; `SignatureError` otherwise."""
    authorization = headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    parts = credential.split(":")
    if scheme != "HMAC_1" or len(parts) != 3:
        raise SignatureError("Missing or malformed HMAC_1 Authorization header")
    access_key_id, given, user_id = parts
    user = keys.get(access_key_id)
    if user is None or user.user_id != user_id:
        raise SignatureError("Unknown access key or user")
    stamp = headers.get("x-nexus-timestamp", "")
    try:
        when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise SignatureError("Missing or malformed X-Nexus-Timestamp") from None
    if abs(now - when) > SKEW:
        raise SignatureError("Request timestamp is outside the allowed window")
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    if params.get("dataKey") != user.data_key:
        raise SignatureError("Invalid dataKey")
    wanted = expected_signature(user.secret, method, raw_path, query_string, stamp, body)
    if not hmac.compare_digest(wanted, given):
        raise SignatureError("Signature does not match")
    return user
