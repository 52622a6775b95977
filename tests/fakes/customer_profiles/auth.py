"""SigV4 checks of the fake Customer Profiles API (AWS Signature Version 4, service name `profile`).

Every request must carry `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/profile/aws4_request,
SignedHeaders=..., Signature=...` and `X-Amz-Date`; the signature is computed again with botocore's
SigV4 signer (the reference implementation AWS publishes) over the signed headers as received.
Failures answer as AWS front ends do: 403 with `x-amzn-ErrorType` `UnrecognizedClientException`
(unknown key), `InvalidSignatureException` (signature or scope wrong) or `MissingAuthenticationTokenException`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .state import ApiError

HEADER = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
                    r"/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<signature>[0-9a-f]{64})$")
SERVICE = "profile"


def check(method: str, url: str, headers: Mapping[str, str], body: bytes, keys: Mapping[str, str]) -> None:
    """Raise ApiError(403) unless the request is signed by one of `keys` for this service."""
    authorization = headers.get("authorization")
    if not authorization:
        raise ApiError("MissingAuthenticationTokenException", 403, "Missing Authentication Token")
    match = HEADER.match(authorization)
    if match is None or "x-amz-date" not in headers:
        raise ApiError("InvalidSignatureException", 403, "Authorization header requires Credential, SignedHeaders "
                       "and Signature, and the request an X-Amz-Date header.")
    secret = keys.get(match["key"])
    if secret is None:
        raise ApiError("UnrecognizedClientException", 403, "The security token included in the request is invalid.")
    if match["service"] != SERVICE or not headers["x-amz-date"].startswith(match["date"]):
        raise ApiError("InvalidSignatureException", 403,
                       f"Credential should be scoped to correct service: '{SERVICE}'.")
    signed = match["signed"].split(";")
    request = AWSRequest(method=method, url=url, data=body, headers={name: headers.get(name, "") for name in signed})
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(match["key"], secret), SERVICE, match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise ApiError("InvalidSignatureException", 403, "The request signature we calculated does not match the "
                       "signature you provided. Check your AWS Secret Access Key and signing method.")
