"""engine/webhooks.py: signed deliveries, retries, and the outbound rules."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from sluice.engine import webhooks
from sluice.settings import ConnectorSettings, ObservabilitySettings, ProcessSettings, use
from sluice.store.webhooks import Webhook
from tests.support.receiver import Receiver


def settings(tmp_path: Path, allow_private: bool) -> ProcessSettings:
    return ProcessSettings(
        data_dir=str(tmp_path), connectors=ConnectorSettings(allow_private_endpoints=allow_private),
        observability=ObservabilitySettings(webhook_max_attempts=3, webhook_backoff_base=0.01),
    )


def test_a_delivery_is_signed_and_retried_until_taken(tmp_path: Path) -> None:
    with Receiver([503, 429]) as receiver, use(settings(tmp_path, allow_private=True)):
        assert webhooks.deliver(Webhook(1, "123456789012", receiver.url, "k3y"), b'{"a":1}', "ev-1")
        deliveries = receiver.wait_for(3)
    last = deliveries[-1]
    stamp = last.headers["x-sluice-timestamp"]
    expected = hmac.new(b"k3y", stamp.encode() + b'.{"a":1}', hashlib.sha256).hexdigest()
    assert last.headers["x-sluice-signature"] == f"sha256={expected}"
    assert {d.headers["x-sluice-event-id"] for d in deliveries} == {"ev-1"}


def test_a_client_error_is_not_retried(tmp_path: Path) -> None:
    with Receiver([400]) as receiver, use(settings(tmp_path, allow_private=True)):
        assert not webhooks.deliver(Webhook(1, "123456789012", receiver.url, "k"), b"{}", "ev-2")
    assert len(receiver.deliveries) == 1


def test_a_private_url_is_refused_when_private_endpoints_are_not_allowed(tmp_path: Path) -> None:
    with Receiver() as receiver, use(settings(tmp_path, allow_private=False)):
        assert not webhooks.deliver(Webhook(1, "123456789012", receiver.url, "k"), b"{}", "ev-3")
        https = receiver.url.replace("http://", "https://")
        assert not webhooks.deliver(Webhook(1, "123456789012", https, "k"), b"{}", "ev-4")
    assert receiver.deliveries == []
