"""Security suite fixtures: one server, two accounts, and a capture listener for outbound calls.

Every test here drives the real server over HTTP. `tenant_a` is the default account and
`tenant_b` a second account created through `sluice accounts create`; a test proves that B
cannot reach A's data (or the server's secrets). `capture` is a plain TCP listener on 127.0.0.1
that records every connection and request it receives, standing in for any outbound target
(a vendor host, a token URL, Secrets Manager, Lambda, a metadata address): a test that must
prove "Sluice never called X" points X at the listener and asserts it saw nothing.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.server import ACCESS_KEY, SECRET_KEY, SluiceServer


@dataclass
class Tenant:
    """An account on the server and a signed boto3 AppFlow client for it."""

    name: str
    account_id: str
    access_key: str
    secret_key: str
    server: SluiceServer

    def client(self, region: str = "us-east-1") -> Any:
        """A SigV4-signing boto3 AppFlow client for this account."""
        return self.server.client(self.access_key, self.secret_key, region)


def new_account(server: SluiceServer, name: str) -> Tenant:
    """Create an account with `sluice accounts create NAME` and return its keys."""
    done = server.cli("accounts", "create", name)
    assert done.returncode == 0, done.stderr
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.MULTILINE))
    account_id = re.search(r"^# account \S+: (\d{12})$", done.stdout, re.MULTILINE)
    assert account_id, done.stdout
    return Tenant(name, account_id.group(1), exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"], server)


def default_account(server: SluiceServer) -> Tenant:
    """The default account (the server's fixed test keys)."""
    done = server.cli("accounts", "list")
    match = re.search(r"^default\s+(\d{12})\s", done.stdout, re.MULTILINE)
    assert match, done.stdout
    return Tenant("default", match.group(1), ACCESS_KEY, SECRET_KEY, server)


@dataclass
class Capture:
    """A TCP listener on 127.0.0.1 that records what reaches it and answers `HTTP 200 {}`."""

    port: int = 0
    requests: list[bytes] = field(default_factory=list)
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        """Plain-HTTP URL of the listener."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        """An https URL on the listener's port (it speaks no TLS: a handshake is still recorded)."""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> Capture:
        """Bind and serve in a daemon thread."""
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
                except OSError:
                    pass
                self.requests.append(data)

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.requests.clear()

    def stop(self) -> None:
        """Close the listener."""
        self._stop.set()
        if self._sock is not None:
            self._sock.close()


@contextmanager
def listening() -> Iterator[Capture]:
    """A capture listener, stopped on exit (for fixtures of any scope)."""
    listener = Capture().start()
    try:
        yield listener
    finally:
        listener.stop()


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A fresh capture listener for one test."""
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """A server with one run worker and the default (strict) outbound rules: no private endpoints."""
    srv = SluiceServer(data_dir=tmp_path_factory.mktemp("sluice-security"), workers=1,
                       extra_env={"SLUICE_ALLOW_PRIVATE_ENDPOINTS": "false"})
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tenant_a(secured_server: SluiceServer) -> Tenant:
    """The default account."""
    return default_account(secured_server)


@pytest.fixture(scope="module")
def tenant_b(secured_server: SluiceServer) -> Tenant:
    """A second account on the same server."""
    return new_account(secured_server, "tenant-b")


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., SluiceServer]]:
    """A factory for servers with their own settings: `start_server(workers=1, SOME_ENV="x")`."""
    started: list[SluiceServer] = []

    def start(workers: int = 1, **extra_env: str) -> SluiceServer:
        srv = SluiceServer(data_dir=tmp_path_factory.mktemp("sluice-sec"), workers=workers, extra_env=extra_env)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()
