"""Hardening of the wire protocol: request-head limits, the signing exemption, the credential
scope's region and the query string's one meaning (hardening items 10, 11, 13, 14).

Everything goes over real sockets to a real server: raw sockets where the test needs to send
what no HTTP client would (a 256 MB header, a head that never ends), hand-signed httpx
requests where it needs a signature over something botocore would not send.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

from tests.integration.builders import s3_flow, unique
from tests.security.conftest import Tenant, default_account
from tests.support.server import SluiceServer

MiB = 1 << 20


def rss_mib(server: SluiceServer) -> float:
    """Resident memory of the server process, in MiB (Linux /proc)."""
    assert server.proc is not None
    with open(f"/proc/{server.proc.pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def send_head(server: SluiceServer, head: bytes, filler: int = 0, timeout: float = 60) -> bytes:
    """Send `head` then up to `filler` bytes of header value, and return what the server answers.

    Sending stops as soon as the server closes the connection (a reset or broken pipe);
    whatever it answered before closing is still readable.
    """
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head)
        chunk = b"a" * MiB
        sent = 0
        try:
            while sent < filler:
                sock.sendall(chunk[: filler - sent])
                sent += min(len(chunk), filler - sent)
            if filler:
                sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server stopped reading and closed: its answer is below
        answer = b""
        try:
            while len(answer) < 4096:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer:
                    break
        except OSError:
            pass
        return answer


def signed(tenant: Tenant, method: str, url: str, body: bytes = b"", region: str = "us-east-1",
           sign_url: str | None = None) -> httpx.Response:
    """Send `method url` signed by `tenant` for `region`; `sign_url` is the URL the signature covers."""
    headers = {"Content-Type": "application/json"} if body else {}
    request = AWSRequest(method=method, url=sign_url or url, data=body, headers=headers)
    SigV4Auth(Credentials(tenant.access_key, tenant.secret_key), "appflow", region).add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers.items()), timeout=30)


def assert_aws_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """`response` is AWS's JSON error form with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers.get("x-amzn-ErrorType") == code, response.text
    body = response.json()
    assert body["__type"] == code and body["message"], body
    return body


# ---------------------------------------------------------------------------------------------
# 10. request heads: size and time


def test_a_256_mb_header_is_refused_without_growing_memory(secured_server: SluiceServer) -> None:
    before = rss_mib(secured_server)
    answer = send_head(secured_server, b"GET /health HTTP/1.1\r\nHost: sluice\r\nX-Big: ", filler=256 * MiB)
    after = rss_mib(secured_server)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    # The old server buffered the whole header: 792 MiB. The head cap is 64 KiB.
    assert after - before < 32, (before, after)
    assert httpx.get(f"{secured_server.url}/health", timeout=10).status_code == 200


def test_head_limit_is_64_kib_in_total(secured_server: SluiceServer) -> None:
    # Many headers of ordinary size add up: the cap is on the head, not on one line.
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(70))
    refused = send_head(secured_server, b"GET /health HTTP/1.1\r\nHost: sluice\r\n" + many + b"\r\n")
    assert refused.startswith(b"HTTP/1.1 431 "), refused[:200]
    fits = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(50))
    answered = send_head(secured_server, b"GET /health HTTP/1.1\r\nHost: sluice\r\n" + fits + b"\r\n")
    assert answered.startswith(b"HTTP/1.1 200 "), answered[:200]


def test_a_head_that_never_ends_is_cut_off_and_health_still_answers(
    start_server: Callable[..., SluiceServer],
) -> None:
    server = start_server(workers=0, SLUICE_HEADER_TIMEOUT_SECONDS="1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as slow:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: sluice\r\nX-Slow: ")
        # While the slow head is pending, other clients are served.
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        answer = slow.recv(4096)  # blocks until the server gives up on the head
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_silent_connection_is_closed(start_server: Callable[..., SluiceServer]) -> None:
    server = start_server(workers=0, SLUICE_HEADER_TIMEOUT_SECONDS="1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as idle:
        answer = idle.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b"", answer[:200]


def test_large_signed_bodies_still_pass_the_head_limit(tenant_a: Tenant) -> None:
    # The cap counts the head only: a body well past 64 KiB arriving with it is not refused.
    name = unique("big-body")
    flow = s3_flow(name, description="d" * 2000)
    flow["tags"] = {f"k{i}": "v" * 256 for i in range(50)}
    body = json.dumps(flow).encode() + b" " * (200 * 1024)
    response = signed(tenant_a, "POST", f"{tenant_a.server.url}/create-flow", body)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------------------------
# 11. only /health is exempt from signing


@pytest.mark.parametrize("path", ["/healthz", "/health/x", "/health/", "/health/../list-flows"])
def test_paths_near_health_need_a_signature(secured_server: SluiceServer, path: str) -> None:
    response = httpx.get(secured_server.url + path, timeout=10)
    assert_aws_error(response, 403, "UnrecognizedClientException")


def test_signed_paths_near_health_are_unknown_operations(tenant_a: Tenant) -> None:
    for path in ("/healthz", "/health/x"):
        assert_aws_error(signed(tenant_a, "GET", tenant_a.server.url + path), 404, "UnknownOperationException")
    assert httpx.get(tenant_a.server.url + "/health", timeout=10).json()["status"] == "ok"


# ---------------------------------------------------------------------------------------------
# 13. the credential scope's region


@pytest.mark.parametrize(
    "region", ["us-east-1:999999999999", "us-east-1.evil", "US-EAST-1", "useast1", "us-east-", "a:b", "us-east-1 "]
)
def test_a_region_that_is_not_region_shaped_is_refused(tenant_a: Tenant, region: str) -> None:
    name = unique("region")
    body = s3_flow(name)
    response = signed(tenant_a, "POST", f"{tenant_a.server.url}/create-flow", json.dumps(body).encode(), region=region)
    assert_aws_error(response, 403, "InvalidSignatureException")
    # Nothing was created under any account's ARN.
    assert name not in {f["flowName"] for f in tenant_a.client().list_flows()["flows"]}


def test_region_shaped_names_are_accepted(tenant_a: Tenant) -> None:
    for region in ("eu-west-1", "us-gov-west-1", "ap-southeast-2"):
        response = signed(tenant_a, "POST", f"{tenant_a.server.url}/list-flows", b"{}", region=region)
        assert response.status_code == 200, (region, response.text)


def test_configured_regions_are_the_only_ones(start_server: Callable[..., SluiceServer]) -> None:
    server = start_server(workers=0, SLUICE_REGIONS="us-east-1,eu-central-1")
    tenant = default_account(server)
    assert signed(tenant, "POST", f"{server.url}/list-flows", b"{}", region="eu-central-1").status_code == 200
    refused = signed(tenant, "POST", f"{server.url}/list-flows", b"{}", region="eu-west-1")
    assert_aws_error(refused, 403, "InvalidSignatureException")


# ---------------------------------------------------------------------------------------------
# 14. the query string means one thing to the signature and to the app


@pytest.fixture
def tagged_flow(tenant_a: Tenant) -> tuple[str, Any]:
    client = tenant_a.client()
    arn = client.create_flow(**s3_flow(unique("query")))["flowArn"]
    client.tag_resource(resourceArn=arn, tags={"a+b": "plus", "team": "data"})
    return arn, client


def test_a_raw_plus_is_a_space_to_the_signature_too(tenant_a: Tenant, tagged_flow: tuple[str, Any]) -> None:
    arn, client = tagged_flow
    path = f"{tenant_a.server.url}/tags/{percent_encode(arn)}"
    # Signed for the key "a+b" (botocore sends it as %2B), but sent with a raw '+', which the
    # app reads as a space: the old server let this signature through for a value it never signed.
    response = signed(tenant_a, "DELETE", f"{path}?tagKeys=a+b", sign_url=f"{path}?tagKeys=a%2Bb")
    assert_aws_error(response, 403, "InvalidSignatureException")
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"a+b": "plus", "team": "data"}


def test_query_values_mean_what_was_signed(tenant_a: Tenant, tagged_flow: tuple[str, Any]) -> None:
    arn, client = tagged_flow
    path = f"{tenant_a.server.url}/tags/{percent_encode(arn)}"
    # A form-encoding client that means a space signs a space and sends '+': the signature
    # holds, and the app reads the same space (which the tag-key pattern then refuses).
    response = signed(tenant_a, "DELETE", f"{path}?tagKeys=a+b", sign_url=f"{path}?tagKeys=a%20b")
    body = assert_aws_error(response, 400, "ValidationException")
    assert "'a b'" in body["message"], body
    # %2B is a literal plus to both: hand-built and through botocore.
    response = signed(tenant_a, "DELETE", f"{path}?tagKeys=team&tagKeys=a%2Bb")
    assert response.status_code == 200, response.text
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    client.tag_resource(resourceArn=arn, tags={"a+b": "plus"})
    client.untag_resource(resourceArn=arn, tagKeys=["a+b"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}


@pytest.mark.parametrize("query", ["tagKeys=%ED%A0%80", "tagKeys=%FF", "tagKeys=%C3"])
def test_a_query_that_is_not_utf8_is_refused(tenant_a: Tenant, tagged_flow: tuple[str, Any], query: str) -> None:
    arn, _ = tagged_flow
    url = f"{tenant_a.server.url}/tags/{percent_encode(arn)}?{query}"
    response = signed(tenant_a, "DELETE", url)
    assert response.status_code == 400, response.text
    assert response.json()["__type"] == "SerializationException"


# ---------------------------------------------------------------------------------------------
# 14 (paths): the signature covers the path with dot segments removed, the router the path as sent


@pytest.mark.parametrize("path", ["/tags/../list-flows", "/./list-flows", "/tags/%2E%2E/list-flows"])
def test_a_path_with_dot_segments_is_refused_even_when_signed(tenant_a: Tenant, path: str) -> None:
    request = AWSRequest(method="GET", url=f"{tenant_a.server.url}{path}")
    SigV4Auth(Credentials(tenant_a.access_key, tenant_a.secret_key), "appflow", "us-east-1").add_auth(request)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{tenant_a.server.port}\r\n".encode()
    for name, value in request.headers.items():
        if name.lower() != "host":
            head += f"{name}: {value}\r\n".encode()
    answer = send_head(tenant_a.server, head + b"Connection: close\r\n\r\n")  # raw: no client normalises it
    assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    assert b"UnknownOperationException" in answer
