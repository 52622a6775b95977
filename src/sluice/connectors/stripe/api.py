"""How Stripe's API is reached (connectors layer, Stripe).

* Base URL `https://api.stripe.com` (or `SLUICE_ENDPOINT_URL_STRIPE`), paths under `/v1`.
* Authentication: the secret (or restricted) key as a bearer token,
  https://docs.stripe.com/api/authentication; AppFlow keeps it in the profile's `apiKey.apiKey`.
* `Stripe-Version` is pinned (`API_VERSION`), so field shapes do not change under a flow when the
  account's default version is upgraded: https://docs.stripe.com/api/versioning.
* Errors are `{"error": {"type", "code", "message", "param"}}`, https://docs.stripe.com/api/errors:
  the `code` (else the `type`) is the vendor code, the `param` is added to the message.
* 429 means too many requests (https://docs.stripe.com/rate-limits, code `rate_limit`). Stripe sends
  no `Retry-After`; the client's exponential backoff with jitter is what Stripe's docs advise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Bearer

from . import CONNECTOR_TYPE

DEFAULT_URL = "https://api.stripe.com"
API_VERSION = "2024-06-20"


def stripe_error(response: httpx.Response, body: Any) -> VendorError:
    """Stripe's error object: code (or type), message, and the parameter it is about."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping) or not error.get("message"):
        return json_error(response, body)
    code = str(error.get("code") or error.get("type") or f"HTTP_{response.status_code}")
    message = str(error["message"])
    if error.get("param") and str(error["param"]) not in message:
        message = f"{message} (parameter {error['param']})"
    return VendorError(code, message, response.status_code)


API = RestApi(
    CONNECTOR_TYPE, "Stripe", hosts=("api.stripe.com",), default_url=DEFAULT_URL,
    # Credentials are the CustomConnector profile's `apiKey` member: {"apiKey": <secret key>}.
    auth=Bearer(token_key="apiKey.apiKey"),
    errors=stripe_error,
    headers={"Stripe-Version": API_VERSION},
)
