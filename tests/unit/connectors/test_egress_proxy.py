"""connectors/egress_proxy.py: a subprocess using `requests` through the proxy reaches what
outbound.py allows and is refused (403, 407) the rest; a stand-in resolver plays DNS."""

from __future__ import annotations

import base64
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from sluice.connectors import outbound
from sluice.connectors.egress_proxy import EgressProxy

VENDOR = "api.vendor.example"  # .example never resolves: only the stand-in resolver knows it

# The connector subprocess: requests, configured by nothing but the environment the proxy hands out.
CLIENT = r"""
import concurrent.futures, json, sys
import requests

def get(url):
    try:
        response = requests.get(url, timeout=20)
        return {"status": response.status_code, "body": response.text}
    except requests.RequestException as exc:
        return {"error": type(exc).__name__, "message": str(exc)}

urls = json.loads(sys.argv[1])
with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(urls))) as pool:
    print(json.dumps(list(pool.map(get, urls))))
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    barrier: threading.Barrier | None = None
    seen: list[dict[str, Any]]

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
        if self.path == "/together" and self.barrier is not None:
            self.barrier.wait()  # answers only once every concurrent request is in flight
        body = f"hello from {self.server.server_address[1]} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[trustme.CA, Path]]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    yield authority, path


def _serve(handler: type[_Handler], context: ssl.SSLContext | None) -> Iterator[tuple[int, type[_Handler]]]:
    server = _Server(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def https_fake(ca: tuple[trustme.CA, Path]) -> Iterator[tuple[int, type[_Handler]]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert("127.0.0.1", "localhost", VENDOR).configure_cert(context)
    handler = type("HttpsHandler", (_Handler,), {"seen": [], "barrier": threading.Barrier(16, timeout=30)})
    yield from _serve(handler, context)


@pytest.fixture(scope="module")
def http_fake() -> Iterator[tuple[int, type[_Handler]]]:
    yield from _serve(type("HttpHandler", (_Handler,), {"seen": []}), None)


class StandInDns:
    """Names in `answers` resolve to their addresses, others fail; `calls` lists every lookup."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.calls: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.answers:
            raise OSError("no such name")
        return self.answers[host]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> StandInDns:
    dns = StandInDns()
    monkeypatch.setattr(outbound, "resolve_host", dns.resolve)
    return dns


def run_client(proxy: EgressProxy, ca_file: Path, urls: list[str], *, env: dict[str, str] | None = None
               ) -> list[dict[str, Any]]:
    environment = {"PATH": os.environ.get("PATH", ""), "REQUESTS_CA_BUNDLE": str(ca_file),
                   **(env if env is not None else proxy.environment())}
    done = subprocess.run([sys.executable, "-c", CLIENT, json.dumps(urls)], env=environment,
                          capture_output=True, text=True, timeout=120, check=True)
    return list(json.loads(done.stdout))


# -- reaching what the rules allow ------------------------------------------------------------------


def test_a_subprocess_reaches_a_private_https_fake_when_private_endpoints_are_allowed(
        https_fake: tuple[int, type[_Handler]], ca: tuple[trustme.CA, Path]) -> None:
    port, handler = https_fake
    with EgressProxy(allow_private=True) as proxy:
        [answer] = run_client(proxy, ca[1], [f"https://127.0.0.1:{port}/ping"])
    assert answer == {"status": 200, "body": f"hello from {port} /ping"}
    assert proxy.refused == []
    # TLS ran end to end: the fake saw the client's own request, never the proxy's credentials.
    assert "proxy-authorization" not in handler.seen[-1]["headers"]


def test_the_tunnel_connects_to_the_address_that_was_checked(
        https_fake: tuple[int, type[_Handler]], ca: tuple[trustme.CA, Path], resolver: StandInDns) -> None:
    # Only the stand-in resolver knows the name: reaching the fake shows the proxy connected to the
    # address it resolved and checked, looked up once, and the client still verified TLS for the name.
    resolver.answers[VENDOR] = ["127.0.0.1"]
    port, _ = https_fake
    with EgressProxy(allow_private=True) as proxy:
        [answer] = run_client(proxy, ca[1], [f"https://{VENDOR}:{port}/named"])
    assert answer == {"status": 200, "body": f"hello from {port} /named"}
    assert resolver.calls == [VENDOR]


def test_many_tunnels_are_open_at_once(https_fake: tuple[int, type[_Handler]], ca: tuple[trustme.CA, Path]) -> None:
    # The fake answers /together only when all 16 requests are in flight, so each needs its own tunnel.
    port, _ = https_fake
    with EgressProxy(allow_private=True) as proxy:
        answers = run_client(proxy, ca[1], [f"https://127.0.0.1:{port}/together"] * 16)
    assert [a.get("status") for a in answers] == [200] * 16


def test_plain_http_is_forwarded_only_when_private_endpoints_are_allowed(
        http_fake: tuple[int, type[_Handler]], ca: tuple[trustme.CA, Path]) -> None:
    port, handler = http_fake
    url = f"http://127.0.0.1:{port}/plain?x=1"
    with EgressProxy(allow_private=False) as strict:
        [refused] = run_client(strict, ca[1], [url])
    assert refused["status"] == 403
    assert "plain http to 127.0.0.1 is refused" in refused["body"]
    assert handler.seen == []
    assert len(strict.refused) == 1 and strict.refused[0].startswith("127.0.0.1: plain http to 127.0.0.1 is refused")

    with EgressProxy(allow_private=True) as lenient:
        [answer] = run_client(lenient, ca[1], [url])
    assert answer == {"status": 200, "body": f"hello from {port} /plain?x=1"}
    # Forwarded in origin form, without the proxy's credentials.
    assert handler.seen[-1]["path"] == "/plain?x=1"
    assert "proxy-authorization" not in handler.seen[-1]["headers"]


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "allow_private", "words"), [
    ("127.0.0.1", False, "loopback, private or link-local"),
    ("10.20.30.40", False, "loopback, private or link-local"),
    ("169.254.169.254", False, "cloud metadata"),
    ("169.254.169.254", True, "cloud metadata"),  # metadata stays refused whatever the operator allows
    ("localhost", False, "loopback, private or link-local"),
])
def test_private_and_metadata_addresses_are_refused_with_403(
        host: str, allow_private: bool, words: str, https_fake: tuple[int, type[_Handler]],
        ca: tuple[trustme.CA, Path]) -> None:
    port, _ = https_fake
    seen: list[str] = []
    with EgressProxy(allow_private=allow_private, on_refused=seen.append) as proxy:
        [answer] = run_client(proxy, ca[1], [f"https://{host}:{port}/x"])
    assert answer["error"] == "ProxyError"
    assert "403" in answer["message"] and words in answer["message"]
    assert len(proxy.refused) == 1 and proxy.refused[0].startswith(f"{host}: ") and words in proxy.refused[0]
    assert seen == proxy.refused
    assert str(port) not in proxy.refused[0]  # a refusal reads the same for an open and a closed port


@pytest.mark.parametrize("addresses", [["10.1.2.3"], ["93.184.216.34", "127.0.0.1"], ["::ffff:169.254.169.254"]])
def test_a_name_resolving_to_a_private_address_is_refused(
        addresses: list[str], resolver: StandInDns, ca: tuple[trustme.CA, Path]) -> None:
    resolver.answers[VENDOR] = addresses
    with EgressProxy(allow_private=False) as proxy:
        [answer] = run_client(proxy, ca[1], [f"https://{VENDOR}/v1/things"])
    assert answer["error"] == "ProxyError" and "403" in answer["message"]
    assert proxy.refused[0].startswith(f"{VENDOR}: {VENDOR} resolves to a ")


def test_public_hosts_are_reached_on_the_https_port_only(
        resolver: StandInDns, ca: tuple[trustme.CA, Path]) -> None:
    resolver.answers[VENDOR] = ["93.184.216.34"]
    with EgressProxy(allow_private=False) as proxy:
        [answer] = run_client(proxy, ca[1], [f"https://{VENDOR}:25/"])
    assert "403" in answer["message"]
    assert proxy.refused == [f"{VENDOR}: {VENDOR} is public: it is reached on port 443 only"]


@pytest.mark.parametrize("credentials", ["sluice:wrong-token@", "", "intruder:{token}@"])
def test_wrong_or_missing_proxy_credentials_are_answered_407(
        credentials: str, https_fake: tuple[int, type[_Handler]], ca: tuple[trustme.CA, Path]) -> None:
    port, handler = https_fake
    before = len(handler.seen)
    with EgressProxy(allow_private=True) as proxy:
        token = proxy.url.split(":")[2].split("@")[0]
        url = f"http://{credentials.format(token=token)}127.0.0.1:{proxy.port}"
        env = {name: url for name in ("HTTPS_PROXY", "https_proxy")}
        [answer] = run_client(proxy, ca[1], [f"https://127.0.0.1:{port}/x"], env=env)
    assert answer["error"] == "ProxyError" and "407" in answer["message"]
    assert len(handler.seen) == before
    assert proxy.refused == ["127.0.0.1: proxy authentication required"]
    assert token not in answer["message"]


# -- the proxy's own connections --------------------------------------------------------------------


def _open_tunnel(proxy: EgressProxy, target: str) -> tuple[socket.socket, bytes]:
    client = socket.create_connection(("127.0.0.1", proxy.port), timeout=20)
    token = proxy.url.split("//", 1)[1].split("@", 1)[0]
    auth = base64.b64encode(token.encode()).decode()
    # The scheme name is case-insensitive (RFC 9110 11.1); some clients send it in lower case.
    client.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nProxy-Authorization: basic {auth}\r\n\r\n"
                   .encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = client.recv(4096)
        if not chunk:
            break
        answer += chunk
    return client, answer


@pytest.fixture
def tcp_listener() -> Iterator[socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    yield listener
    listener.close()


def test_exit_closes_open_tunnels(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    with EgressProxy(allow_private=True) as proxy:
        client, answer = _open_tunnel(proxy, f"127.0.0.1:{port}")
        upstream, _ = tcp_listener.accept()
        upstream.settimeout(20)
        assert answer.startswith(b"HTTP/1.1 200 ")
        client.sendall(b"ping")
        assert upstream.recv(4) == b"ping"  # bytes flow through the tunnel as they are
    # Leaving the context closed both ends of the tunnel and stopped listening.
    assert client.recv(10) == b""
    assert upstream.recv(10) == b""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5).recv(1)
    client.close()
    upstream.close()


def test_an_idle_tunnel_is_closed(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    with EgressProxy(allow_private=True, idle_timeout=0.2) as proxy:
        client, answer = _open_tunnel(proxy, f"127.0.0.1:{port}")
        upstream, _ = tcp_listener.accept()
        upstream.settimeout(20)
        assert answer.startswith(b"HTTP/1.1 200 ")
        # Nobody sends: the proxy gives the tunnel up on its own, both ends.
        assert client.recv(10) == b""
        assert upstream.recv(10) == b""
        client.close()
        upstream.close()


def test_tunnels_beyond_the_limit_are_answered_503(tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    with EgressProxy(allow_private=True, max_tunnels=1) as proxy:
        first, answer = _open_tunnel(proxy, f"127.0.0.1:{port}")
        upstream, _ = tcp_listener.accept()
        assert answer.startswith(b"HTTP/1.1 200 ")
        second, refused = _open_tunnel(proxy, f"127.0.0.1:{port}")
        assert refused.startswith(b"HTTP/1.1 503 ")
        first.close()
        upstream.close()
        second.close()


def test_malformed_requests_are_answered_400_without_a_connection() -> None:
    with EgressProxy(allow_private=True) as proxy:
        for target in ("127.0.0.1", "[::1:443", "127.0.0.1:99999"):
            client, answer = _open_tunnel(proxy, target)
            client.close()
            assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert proxy.refused == []


def test_environment_routes_everything_through_the_authenticated_proxy() -> None:
    with EgressProxy(allow_private=False) as proxy:
        env = proxy.environment()
    assert env["HTTPS_PROXY"] == env["http_proxy"] == proxy.url
    assert proxy.url.startswith("http://sluice:") and proxy.url.endswith(f"@127.0.0.1:{proxy.port}")
    assert env["NO_PROXY"] == env["no_proxy"] == ""
    with EgressProxy() as other:
        assert other.url != proxy.url  # one token per proxy
