"""A local forward proxy that holds connector subprocesses to Sluice's outbound-call rules (connectors layer).

Sluice's own vendor clients enforce `outbound.py` themselves. A connector that runs as a
subprocess (an Airbyte source, a Singer tap) brings its own HTTP client, so the runner starts an
`EgressProxy` and hands the subprocess `environment()`: `HTTPS_PROXY`/`HTTP_PROXY` pointing at
this proxy. Every connection the subprocess makes through it is checked the way `outbound.py`
checks Sluice's own (docs/security.md, "Connector subprocesses"):

* `CONNECT host:port` tunnels: the host is resolved once, every address it resolves to is
  classified with `outbound.classify_address` (and the name with `outbound.classify_host`), and
  the tunnel connects to one of exactly those addresses - no second lookup, so no DNS rebinding
  between the check and the connection. The client's TLS runs end to end inside the tunnel;
  the proxy never sees plaintext.
* loopback, private and link-local addresses are refused unless private endpoints are allowed
  (`SLUICE_ALLOW_PRIVATE_ENDPOINTS=true`); cloud metadata, unspecified, multicast and reserved
  addresses are refused always, as `outbound.py` refuses them.
* plain-http requests (`GET http://...` in absolute form) are refused unless private endpoints
  are allowed; then they are forwarded, checked the same way.
* public addresses are reached on the standard port only (443 for tunnels, 80 for plain http);
  with private endpoints allowed, private addresses on any port (fakes, on-premises vendors).
* the proxy URL carries a per-proxy random token (`http://sluice:<token>@127.0.0.1:PORT`); a
  request without it is answered `407`, so other local processes cannot borrow the proxy.

A refusal is answered `403` with the reason in the status line (HTTP clients quote it in their
error, e.g. requests' "Tunnel connection failed: 403 ...") and recorded in `refused` for the
run's log. Reasons name the host, never the port or an errno (a refusal must read the same for
an open and a closed port). Head reads, connects and idle tunnels are bounded by timeouts.

The proxy is an asyncio server in a daemon thread of the calling process. No library is used:
proxy.py, pproxy and mitmproxy (PyPI) each resolve and connect on their own, so the check and
the connection could not share one lookup without replacing their connect path; the whole
protocol needed here (CONNECT plus absolute-form forwarding) is small.

The proxy only governs clients that honour the proxy variables; it is not a network sandbox.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sluice.connectors import outbound

log = logging.getLogger(__name__)

USER = "sluice"
_HEAD_LIMIT = 32 * 1024  # request line + headers; a client sending more is refused
_CHUNK = 64 * 1024
_MAX_REFUSALS_KEPT = 1000  # `refused` is for a run's log: bounded even if something hammers the proxy
_HINT = f"set {outbound.ALLOW_PRIVATE_ENV}=true to allow them"
_PROXY_HEADERS = (b"proxy-authorization", b"proxy-connection", b"connection", b"keep-alive")


class Refused(Exception):
    """A request the proxy answers with an error status instead of forwarding it."""

    def __init__(self, status: int, reason: str, host: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.host = host


@dataclass(frozen=True)
class _Request:
    method: str
    target: str
    version: str
    headers: list[tuple[bytes, bytes]]


_STATUS_TEXT = {400: "Bad Request", 403: "Forbidden", 407: "Proxy Authentication Required",
                408: "Request Timeout", 431: "Request Header Fields Too Large", 502: "Bad Gateway",
                503: "Service Unavailable", 504: "Gateway Timeout"}


def _printable(text: str, limit: int = 200) -> str:
    """`text` fit for a status line and a log: printable ASCII, no CR/LF, bounded."""
    return re.sub(r"[^\x20-\x7e]", "?", text)[:limit]


class EgressProxy:
    """A forward proxy on 127.0.0.1 enforcing `outbound.py`'s rules; a context manager.

    `allow_private` defaults to `SLUICE_ALLOW_PRIVATE_ENDPOINTS`. `on_refused` is called (on the
    proxy's thread) with each refusal's text as it is appended to `refused`; it must not block.
    """

    def __init__(
        self,
        *,
        allow_private: bool | None = None,
        on_refused: Callable[[str], None] | None = None,
        idle_timeout: float = 300.0,
        connect_timeout: float = 30.0,
        head_timeout: float = 30.0,
        max_tunnels: int = 256,
    ) -> None:
        self.allow_private = outbound.private_endpoints_allowed() if allow_private is None else allow_private
        self.on_refused = on_refused
        self.idle_timeout = idle_timeout
        self.connect_timeout = connect_timeout
        self.head_timeout = head_timeout
        self.max_tunnels = max_tunnels
        self.refused: list[str] = []
        self.port = 0
        self._token = secrets.token_urlsafe(24)
        self._expected = f"{USER}:{self._token}".encode()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._open_tunnels = 0
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> EgressProxy:
        self._thread = threading.Thread(target=self._run, name="sluice-egress-proxy", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            raise RuntimeError("the egress proxy could not start") from self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and close every open tunnel and connection; idempotent."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
        self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._accept, "127.0.0.1", 0, limit=_HEAD_LIMIT))
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:  # surfaced by __enter__
            self._failure = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # -- what the subprocess gets ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The proxy URL with its credentials (a secret: pass it in an environment, never log it)."""
        return f"http://{USER}:{self._token}@127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """Environment entries that route a subprocess's HTTP(S) through this proxy. `NO_PROXY` is
        emptied so no inherited exception lets a host bypass it."""
        url = self.url
        return {"HTTPS_PROXY": url, "HTTP_PROXY": url, "https_proxy": url, "http_proxy": url,
                "NO_PROXY": "", "no_proxy": ""}

    # -- one client connection ------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass
        except Exception:  # one client's trouble must not reach the others
            log.exception("egress proxy connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read_head(reader)
            self._authenticate(request)
            if request.method == "CONNECT":
                await self._tunnel(request, reader, writer)
            else:
                await self._forward(request, reader, writer)
        except Refused as refusal:
            if refusal.status in (403, 407):
                self._record(refusal)
            await self._answer(writer, refusal.status, refusal.reason)

    async def _read_head(self, reader: asyncio.StreamReader) -> _Request:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.head_timeout)
        except TimeoutError:
            raise Refused(408, "the request head did not arrive in time") from None
        except asyncio.LimitOverrunError:
            raise Refused(431, "the request head is too large") from None
        except asyncio.IncompleteReadError:
            raise Refused(400, "the connection closed before a request arrived") from None
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            raise Refused(400, "malformed request line")
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name.strip():
                raise Refused(400, "malformed header line")
            headers.append((name.strip().lower(), value.strip()))
        method, target, version = (p.decode("latin-1") for p in parts)
        return _Request(method.upper(), target, version, headers)

    def _authenticate(self, request: _Request) -> None:
        offered = [v for n, v in request.headers if n == b"proxy-authorization"]
        scheme, _, encoded = offered[0].partition(b" ") if len(offered) == 1 else (b"", b"", b"")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        # Compared in constant time: the token is the only thing keeping other local users out.
        if scheme.lower() != b"basic" or not hmac.compare_digest(given, self._expected):
            raise Refused(407, "proxy authentication required", self._target_host(request))

    @staticmethod
    def _target_host(request: _Request) -> str:
        with contextlib.suppress(Refused):
            if request.method == "CONNECT":
                return _split_authority(request.target, 443)[0]
            return _split_absolute(request.target)[0]
        return ""

    # -- checking a destination -------------------------------------------------------------------

    async def _checked_addresses(self, host: str, port: int, *, tunnel: bool) -> list[str]:
        """The addresses to connect to for `host`, each checked; `Refused` otherwise."""
        kind = outbound.classify_host(host)
        if kind is not None:
            self._check_class(host, kind, port, tunnel=tunnel, names=True)
        try:
            # outbound.resolve_host, looked up through the module (tests stand in a resolver there).
            addresses = await asyncio.wait_for(asyncio.to_thread(outbound.resolve_host, host, port),
                                               self.connect_timeout)
        except TimeoutError:
            raise Refused(504, f"{host} could not be resolved in time", host) from None
        except (OSError, UnicodeError):
            raise Refused(502, f"{host} could not be resolved", host) from None
        if not addresses:
            raise Refused(502, f"{host} could not be resolved", host)
        for address in addresses:
            self._check_class(host, outbound.classify_address(address), port, tunnel=tunnel, names=False)
        return addresses

    def _check_class(self, host: str, kind: str, port: int, *, tunnel: bool, names: bool) -> None:
        what = "names" if names else "resolves to"
        if kind == outbound.FORBIDDEN:
            raise Refused(403, f"{host} {what} a cloud metadata, unspecified, multicast or reserved address, "
                               "which Sluice never calls", host)
        if kind == outbound.PRIVATE:
            if not self.allow_private:
                raise Refused(403, f"{host} {what} a loopback, private or link-local address; "
                                   f"connectors call public endpoints only ({_HINT})", host)
            return  # private endpoints allowed: fakes and on-premises vendors listen on any port
        standard = 443 if tunnel else 80
        if port != standard:
            raise Refused(403, f"{host} is public: it is reached on port {standard} only", host)

    async def _connect(self, host: str, port: int, *, tunnel: bool) -> tuple[
            asyncio.StreamReader, asyncio.StreamWriter]:
        addresses = await self._checked_addresses(host, port, tunnel=tunnel)
        for address in addresses:
            try:
                # A numeric address: nothing resolves the name a second time.
                return await asyncio.wait_for(asyncio.open_connection(address, port), self.connect_timeout)
            except (TimeoutError, OSError):
                continue
        # No errno, no port: a refusal must not tell an open port from a closed one.
        raise Refused(502, f"could not connect to {host}", host)

    # -- CONNECT tunnels and plain-http forwarding -------------------------------------------------

    @contextlib.contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        """One of `max_tunnels` places, taken before the first await so the count cannot overshoot."""
        if self._open_tunnels >= self.max_tunnels:
            raise Refused(503, "too many open connections through the proxy", host)
        self._open_tunnels += 1
        try:
            yield
        finally:
            self._open_tunnels -= 1

    async def _tunnel(self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = _split_authority(request.target, None)
        with self._slot(host):
            upstream_reader, upstream_writer = await self._connect(host, port, tunnel=True)
            await self._established(reader, writer, upstream_reader, upstream_writer)

    async def _established(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           upstream_reader: asyncio.StreamReader, upstream_writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await self._relay(reader, writer, upstream_reader, upstream_writer)
        finally:
            upstream_writer.close()
            with contextlib.suppress(Exception):
                await upstream_writer.wait_closed()

    async def _forward(self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not request.target.lower().startswith(("http://", "https://")):
            raise Refused(400, "this is a forward proxy: send CONNECT or an absolute http:// URL")
        host, port, path = _split_absolute(request.target)
        if not self.allow_private:
            raise Refused(403, f"plain http to {host} is refused: connectors call vendors over https only "
                               f"({outbound.ALLOW_PRIVATE_ENV}=true allows http)", host)
        with self._slot(host):
            upstream_reader, upstream_writer = await self._connect(host, port, tunnel=False)
            await self._forwarded(request, path, reader, writer, upstream_reader, upstream_writer)

    async def _forwarded(self, request: _Request, path: str, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter, upstream_reader: asyncio.StreamReader,
                         upstream_writer: asyncio.StreamWriter) -> None:
        try:
            # One request per upstream connection: the client's next request may name another host.
            head = [f"{request.method} {path} {request.version}".encode("latin-1")]
            head += [name + b": " + value for name, value in request.headers if name not in _PROXY_HEADERS]
            head.append(b"connection: close")
            upstream_writer.write(b"\r\n".join(head) + b"\r\n\r\n")
            await upstream_writer.drain()
            await self._relay(reader, writer, upstream_reader, upstream_writer)
        finally:
            upstream_writer.close()
            with contextlib.suppress(Exception):
                await upstream_writer.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                     upstream_reader: asyncio.StreamReader, upstream_writer: asyncio.StreamWriter) -> None:
        """Copy bytes both ways until either side closes or neither sends for `idle_timeout`."""
        loop = asyncio.get_running_loop()
        last = [loop.time()]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while True:
                try:
                    chunk = await asyncio.wait_for(source.read(_CHUNK), self.idle_timeout)
                except TimeoutError:
                    if loop.time() - last[0] >= self.idle_timeout:
                        return  # idle both ways: give the connection up
                    continue
                if not chunk:
                    return
                last[0] = loop.time()
                sink.write(chunk)
                await sink.drain()

        pumps = [asyncio.ensure_future(pump(client_reader, upstream_writer)),
                 asyncio.ensure_future(pump(upstream_reader, client_writer))]
        try:
            # Either side closing ends the tunnel (TLS has its own close_notify; HTTP/1 clients
            # do not half-close a proxied connection and expect an answer afterwards).
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    # -- answers ----------------------------------------------------------------------------------

    def _record(self, refusal: Refused) -> None:
        entry = f"{_printable(refusal.host) or '(no host)'}: {refusal.reason}"
        if len(self.refused) < _MAX_REFUSALS_KEPT:
            self.refused.append(entry)
        log.info("egress proxy refused %s", entry)
        if self.on_refused is not None:
            try:
                self.on_refused(entry)
            except Exception:  # the caller's logging must not break the proxy
                log.exception("egress proxy on_refused callback failed")

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
        text = _printable(reason)
        body = f"Sluice egress proxy: {text}\n".encode()
        # The reason rides in the status line too: clients quote it in their tunnel errors.
        head = [f"HTTP/1.1 {status} {_STATUS_TEXT.get(status, 'Error')} ({text})",
                "Content-Type: text/plain; charset=utf-8", f"Content-Length: {len(body)}", "Connection: close"]
        if status == 407:
            head.append(f'Proxy-Authenticate: Basic realm="{USER}"')
        with contextlib.suppress(Exception):
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()


def _split_authority(authority: str, default_port: int | None) -> tuple[str, int]:
    """`host` and `port` of `host:port` / `[v6]:port`; `Refused(400)` when malformed."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([^\s:/@\[\]]+)(?::(\d{1,5}))?", authority)
    if match is None:
        raise Refused(400, "malformed host in the request")
    host = match.group(1) or match.group(3)
    port_text = match.group(2) or match.group(4)
    if port_text is None:
        if default_port is None:
            raise Refused(400, "CONNECT needs host:port")
        return host, default_port
    port = int(port_text)
    if not 0 < port < 65536:
        raise Refused(400, "malformed port in the request")
    return host, port


def _split_absolute(target: str) -> tuple[str, int, str]:
    """Host, port and origin-form path of an absolute `http://` URI; `Refused` otherwise."""
    match = re.fullmatch(r"(?i:(https?))://([^/?#]*)([^#]*)(?:#.*)?", target)
    if match is None:
        raise Refused(400, "malformed request URI")
    scheme, authority, path = match.group(1).lower(), match.group(2), match.group(3) or "/"
    if scheme != "http":
        raise Refused(400, "an https URL is sent through CONNECT, not as an absolute URI")
    if "@" in authority:
        raise Refused(400, "credentials in the request URI are not forwarded")
    host, port = _split_authority(authority, 80)
    return host, port, path if path.startswith("/") else "/" + path

