"""HMAC request signing for Infor Nexus (connectors layer, Infor Nexus).

AppFlow connects to Infor Nexus with hash-based message authentication from four credentials
(https://docs.aws.amazon.com/appflow/latest/userguide/infor-nexus.html): `accessKeyId`, `userId`,
`secretAccessKey` ("the secret key used to sign requests") and `datakey`. Infor Nexus publishes its
signing rules only in its developer portal (behind a sign-in); the scheme Sluice implements is the one
written down in docs/connectors/infor-nexus.md, kept in this one module so it is easy to check and
correct:

* every request carries the `dataKey` query parameter (the profile's `datakey`), as Infor Nexus's
  REST URLs do (`https://network.infornexus.com/rest/3.1/...?dataKey=...`);
* `X-Nexus-Timestamp` is the signing instant, ISO 8601 UTC to the second (`2026-12-05T09:07:33Z`);
* the string to sign is five lines joined by `\\n`: the method in capitals; the URL path as sent;
  the canonical query (every parameter, `dataKey` included, as RFC 3986 percent-encoded
  `name=value`, sorted by name then value, joined by `&`); the timestamp; the lower-case hex SHA-256
  of the body (of no bytes when there is none);
* the signature is the Base64 of HMAC-SHA256 keyed with `secretAccessKey` over that string;
* `Authorization: HMAC_1 <accessKeyId>:<signature>:<userId>`.

Secrets appear only in the signature: never in messages or logs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.auth import Auth, credential

SCHEME = "HMAC_1"
TIMESTAMP_HEADER = "X-Nexus-Timestamp"
KEYS = ("accessKeyId", "userId", "secretAccessKey", "datakey")


def encode(text: str) -> str:
    """RFC 3986 percent-encoding (unreserved characters kept)."""
    return quote(text, safe="-._~")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The query as signed: encoded `name=value` pairs, sorted, joined by `&`."""
    return "&".join(sorted(f"{encode(k)}={encode(v)}" for k, v in pairs))


def string_to_sign(method: str, path: str, query: Iterable[tuple[str, str]], timestamp: str, body: bytes) -> str:
    """The five signed lines (see the module docstring)."""
    return "\n".join((method.upper(), path, canonical_query(query), timestamp, hashlib.sha256(body).hexdigest()))


def signature(secret: str, text: str) -> str:
    """Base64 HMAC-SHA256 of `text` keyed with `secret`."""
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class HmacSigned(Auth):
    """Signs each request with the profile's Infor Nexus keys."""

    clock: Callable[[], str] = field(default=_now)

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        values = {key: str(credential(credentials, key) or "") for key in KEYS}
        missing = [key for key, value in values.items() if not value]
        if missing:
            raise ConnectorError("InvalidCredentials", f"the Infor Nexus profile lacks {', '.join(missing)}")
        request.url = request.url.copy_set_param("dataKey", values["datakey"])
        timestamp = self.clock()
        text = string_to_sign(request.method, request.url.raw_path.split(b"?", 1)[0].decode(),
                              request.url.params.multi_items(), timestamp, request.content)
        request.headers[TIMESTAMP_HEADER] = timestamp
        request.headers["Authorization"] = (
            f"{SCHEME} {values['accessKeyId']}:{signature(values['secretAccessKey'], text)}:{values['userId']}")
