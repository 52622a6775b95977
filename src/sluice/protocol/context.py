"""The per-request context the SigV4 middleware builds (protocol layer).

One `RequestContext` travels in the ASGI scope under `CONTEXT_KEY`; the API layer reads the
account, region and caller from it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT_KEY = "sluice.context"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is calling, from where, under which request id."""

    request_id: str
    account_id: str
    region: str
    access_key_id: str
    caller_arn: str
