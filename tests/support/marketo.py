"""One small fake Marketo (https, the test CA) for tests that only need Marketo profiles to pass their check.

Sluice checks Marketo credentials against the subscription's identity service, so profiles made by
`tests.integration.builders.marketo_profile` point at this process's fake, where their client is known.
"""

from __future__ import annotations

import atexit
import hashlib
import threading

from tests.fakes.marketo.server import FakeMarketo

_lock = threading.Lock()
_shared: FakeMarketo | None = None


def shared_fake() -> FakeMarketo:
    """The process's fake Marketo, started on first use."""
    global _shared
    with _lock:
        if _shared is None:
            fake = FakeMarketo(leads=20, rate_limit=None)
            fake.start()
            atexit.register(fake.stop)
            _shared = fake
        return _shared


def register_client(fake: FakeMarketo, secret: str) -> str:
    """Make a client with this secret known to the fake; its client id (one per secret)."""
    client_id = "client-" + hashlib.sha256(secret.encode()).hexdigest()[:12]
    fake.state.clients[client_id] = secret
    return client_id
