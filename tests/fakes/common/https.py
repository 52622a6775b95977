"""Serve a fake vendor API (an ASGI app) over https on 127.0.0.1, in a thread or in the foreground.

`HttpsFake(app).start()` returns once the socket accepts connections; `url` is
`https://127.0.0.1:<port>`, with the certificate of `tests.support.tls` (trust it with
`tls_env()`). `serve_forever(app, port)` is for `python -m tests.fakes.<vendor>` (benchmarks run the
fake in its own process).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.requests import Request

from tests.support.tls import certificates


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(app: Any, port: int) -> uvicorn.Config:
    certs = certificates()
    return uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", log_level="warning",
                          lifespan="off", timeout_graceful_shutdown=1,
                          ssl_certfile=certs.cert_file, ssl_keyfile=certs.key_file)


class HttpsFake:
    """An ASGI app served over TLS by uvicorn in a daemon thread; a context manager."""

    def __init__(self, app: Any, port: int = 0, name: str = "fake") -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15) -> HttpsFake:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        self._server = uvicorn.Server(_config(self.app, self.port))
        self._thread = threading.Thread(target=self._server.run, name=f"{self.name}-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} failed to start on port {self.port}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> HttpsFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(app: Any, port: int) -> None:
    """Serve `app` over TLS in the foreground until interrupted (for `python -m tests.fakes.<vendor>`)."""
    uvicorn.Server(_config(app, port)).run()


class RequestLog:
    """The requests a fake received (method, path, query), so tests can see what Sluice pushed down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []

    def add(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        """Remember one request."""
        with self._lock:
            self.entries.append({"method": method, "path": path, "query": query})

    def matching(self, path_part: str) -> list[dict[str, Any]]:
        """The requests whose path contains `path_part`, oldest first."""
        with self._lock:
            return [e for e in self.entries if path_part in e["path"]]

    def clear(self) -> None:
        """Forget everything logged so far."""
        with self._lock:
            self.entries.clear()


async def request_body(request: Request) -> Any:
    """The request's body as JSON; its text when it is not JSON (the fake answers that with its own
    400); None when it is empty."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
