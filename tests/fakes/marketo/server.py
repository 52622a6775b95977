"""Run the fake subscription on 127.0.0.1 in a thread for tests: over https (tests.support.tls certificate), or
plain http for servers that only need a profile check to pass (SLUICE_ALLOW_PRIVATE_ENDPOINTS lets Sluice
call http on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import MarketoState


class FakeMarketo(HttpsFake):
    """A fake Marketo served by uvicorn; `state` holds the data and the test controls; a context manager.

    Keyword arguments go to `MarketoState` (`leads=`, `activities=`, `seed=`, `rate_limit=`, ...)."""

    def __init__(self, port: int = 0, state: MarketoState | None = None, tls: bool = True, **kwargs: Any) -> None:
        self.state = state or MarketoState(**kwargs)
        super().__init__(build_app(self.state), port=port, name="fake-marketo")
        self.tls = tls
        if not tls:
            self.url = f"http://127.0.0.1:{self.port}"
        self._plain: uvicorn.Server | None = None

    def start(self, timeout: float = 15) -> FakeMarketo:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        if self.tls:
            super().start(timeout)
            return self
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, loop="asyncio", log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=1)
        self._plain = uvicorn.Server(config)
        thread = threading.Thread(target=self._plain.run, name=f"fake-marketo-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not self._plain.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"fake Marketo did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._plain is not None:
            self._plain.should_exit = True
            self._plain = None
            return
        super().stop()

    def token(self) -> str:
        """A valid access token for the default client, without an identity call."""
        client_id, secret = next(iter(self.state.clients.items()))
        return self.state.issue_token(client_id, secret)[0]

    def __enter__(self) -> FakeMarketo:
        return self.start()
