"""How Sluice reaches a Dynatrace environment (connectors layer): hosts, `Api-Token` auth, error bodies.

Dynatrace answers errors as `{"error": {"code", "message", "constraintViolations": [...]}}`; the message a
caller sees is Dynatrace's own, with the first violated constraint when there is one. A 429 comes with
`Retry-After` (seconds) and `X-RateLimit-Reset` (the reset time in epoch microseconds); the wait is the
former, else the time left until the latter.
Docs: https://docs.dynatrace.com/docs/dynatrace-api/basics/dynatrace-api-response-codes and
https://docs.dynatrace.com/docs/dynatrace-api/basics/access-limit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import TokenHeader

# SaaS environments (`<env-id>.live.dynatrace.com`), platform and sprint hosts; Managed clusters live on the
# customer's own domain: the operator names it with SLUICE_ENDPOINT_URL_DYNATRACE.
HOSTS = ("live.dynatrace.com", "apps.dynatrace.com", "dynatracelabs.com")


def dynatrace_error(response: httpx.Response, body: Any) -> VendorError:
    """Dynatrace's error envelope as a `VendorError` (message plus the first constraint violation)."""
    error = json_error(response, body)
    message = error.message
    inner = body.get("error") if isinstance(body, Mapping) else None
    violations = inner.get("constraintViolations") if isinstance(inner, Mapping) else None
    if isinstance(violations, list) and violations and isinstance(violations[0], Mapping):
        first = violations[0]
        where = first.get("path") or first.get("location") or ""
        detail = str(first.get("message") or "")
        if detail:
            message = f"{message} ({where + ': ' if where else ''}{detail})"
    return VendorError(error.code, message, error.status, _reset_wait(response))


def _reset_wait(response: httpx.Response) -> float | None:
    """Seconds until `X-RateLimit-Reset` (epoch microseconds) when `Retry-After` is absent."""
    if response.status_code != 429 or response.headers.get("Retry-After"):
        return None
    reset = response.headers.get("X-RateLimit-Reset", "")
    if not reset.isdigit():
        return None
    return max(0.0, int(reset) / 1_000_000 - time.time())


API = RestApi("Dynatrace", "Dynatrace", hosts=HOSTS, auth=TokenHeader(key="apiToken", scheme="Api-Token"),
              errors=dynatrace_error)
