"""Limits on each request's head (request line + headers), below the ASGI app (API layer).

A pure-ASGI check sees a request only once the server has buffered its whole head, so a 256 MB
header line is in memory before any middleware can refuse it, and a client that sends its head
one byte a minute holds a connection forever. `LimitedHttpToolsProtocol` is uvicorn's httptools
protocol with two limits applied while the head is still arriving:

* at most `max_head_bytes` of it (default 64 KiB, request line and headers together): past
  that the connection answers `431 Request Header Fields Too Large` and closes, having fed the
  parser no more than the limit;
* the whole head within `head_timeout` seconds of the connection opening or of the first byte
  of the next request on a kept-alive connection: past that it answers `408 Request Timeout`
  and closes. Idle time between requests stays under uvicorn's `timeout_keep_alive`.

`cli.py serve` passes the class as uvicorn's `http` protocol after `configure(...)`; each
`--processes` worker configures it again with the parent's settings (`api/processes.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEAD_BYTES = 64 * 1024
DEFAULT_HEAD_TIMEOUT_SECONDS = 10.0

_limits = {"max_head_bytes": DEFAULT_MAX_HEAD_BYTES, "head_timeout": DEFAULT_HEAD_TIMEOUT_SECONDS}


def configure(max_head_bytes: int, head_timeout: float) -> None:
    """Set the limits every connection opened from now on applies."""
    if max_head_bytes < 1024 or head_timeout <= 0:
        raise ValueError("the request head limit must be at least 1024 bytes and its timeout positive")
    _limits["max_head_bytes"] = max_head_bytes
    _limits["head_timeout"] = head_timeout


def _refusal(status: int, reason: str) -> bytes:
    message = f"{reason}.".encode("ascii")
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(message)}\r\nconnection: close\r\n\r\n"
    ).encode("ascii") + message


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing request heads that are too large or too slow."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_head_bytes = int(_limits["max_head_bytes"])
        self._head_timeout = float(_limits["head_timeout"])
        self._reading_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._reading_head:
            super().data_received(data)
            return
        self._arm_head_timer()
        room = self._max_head_bytes - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Feed only what the limit allows: the head may end within it (then the rest is body).
        self._head_bytes = self._max_head_bytes
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._reading_head:
            self._refuse(431, "Request Header Fields Too Large")
            return
        super().data_received(data[room:])

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # The next bytes on this connection start a new head; its clock starts with them.
        self._reading_head = True
        self._head_bytes = 0

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._reading_head and not self.transport.is_closing():
            self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, reason: str) -> None:
        self.logger.warning("request head refused: %s %s", status, reason)
        self._cancel_head_timer()
        self.transport.write(_refusal(status, reason))
        self.transport.close()
