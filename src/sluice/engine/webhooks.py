"""Webhook deliveries of run reports (engine layer; called from `run_reports`' background pool).

Each delivery is a `POST` of the event JSON (the same envelope and detail as the EventBridge
event) with these headers:

* `X-Sluice-Timestamp`: the Unix time of this attempt;
* `X-Sluice-Signature`: `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the webhook's secret>`;
  a receiver recomputes it and refuses a timestamp more than a few minutes old, so a captured
  request cannot be replayed later;
* `X-Sluice-Event-Id`: the event's id, the same on every retry (receivers de-duplicate with it).

The URL obeys the same outbound rules as vendor calls (`connectors/outbound.py`): https only and
public addresses only, unless `SLUICE_ALLOW_PRIVATE_ENDPOINTS=true`. A 2xx answer ends the delivery;
a network error, 408, 429 or 5xx is retried up to `SLUICE_WEBHOOK_MAX_ATTEMPTS` times with
exponential backoff from `SLUICE_WEBHOOK_BACKOFF_BASE` seconds (capped at 5 minutes); anything else
is given up at once. Failures are warnings in the log, never a change to the run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx

from sluice.connectors.base import ConnectorError
from sluice.connectors.outbound import check_vendor_url, vendor_http_client
from sluice.settings import current
from sluice.store.webhooks import Webhook

log = logging.getLogger("sluice.engine.webhooks")
MAX_DELAY = 300.0
RETRIED = frozenset({408, 429})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 over `<timestamp>.<body>` with `secret`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def deliver(hook: Webhook, body: bytes, event_id: str) -> bool:
    """POST `body` to `hook.url`, retrying transient failures; True once the receiver took it."""
    settings = current().observability
    try:
        url = check_vendor_url(hook.url, what="the webhook URL")
    except ConnectorError as exc:
        log.warning("webhook %s not called: %s", hook.id, exc)
        return False
    reason = ""
    with vendor_http_client(timeout=settings.webhook_timeout) as client:
        for attempt in range(settings.webhook_max_attempts):
            if attempt:
                time.sleep(min(MAX_DELAY, settings.webhook_backoff_base * 2 ** (attempt - 1)))
            stamp = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "user-agent": "sluice-webhooks",
                "x-sluice-timestamp": stamp,
                "x-sluice-signature": signature(hook.secret, stamp, body),
                "x-sluice-event-id": event_id,
            }
            try:
                status = client.post(url, content=body, headers=headers).status_code
            except ConnectorError as exc:  # the outbound guard refused the address it resolved to
                log.warning("webhook %s not called: %s", hook.id, exc)
                return False
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
                continue
            if 200 <= status < 300:
                return True
            reason = f"HTTP {status}"
            if status not in RETRIED and status < 500:
                break
    log.warning("webhook %s: delivery of event %s gave up (%s)", hook.id, event_id, reason)
    return False
