"""Run the fake org over HTTP: in a background thread for tests, or in the foreground (see __main__)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .app import build_app
from .org import Org


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeSalesforce:
    """A fake org served by uvicorn on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, seed_counts: dict[str, int] | None = None, port: int = 0, seed: int = 7,
                 org: Org | None = None) -> None:
        self.org = org or Org(seed_counts, seed)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15) -> FakeSalesforce:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        config = uvicorn.Config(build_app(self.org), host="127.0.0.1", port=self.port, loop="asyncio",
                                log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self.org.events.closed = False
        self._thread = threading.Thread(target=self._server.run, name=f"fake-salesforce-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"fake Salesforce failed to start on port {self.port}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake Salesforce did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving; held long polls are woken so shutdown is quick."""
        if self._server is not None:
            self._server.should_exit = True
            self.org.events.wake_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def token(self, user: str | None = None) -> str:
        """A valid access token, without going through OAuth."""
        return self.org.auth.issue_token(user or self.org.auth.DEFAULT_USER)

    def __enter__(self) -> FakeSalesforce:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
