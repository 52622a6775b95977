"""sluice.protocol.sigv4: requests signed by botocore pass; anything else is refused as AWS does."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import (
    AWSPreparedRequest,
    AWSResponse,
    HeadersDict,
    create_request_object,
    prepare_request_dict,
)
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.serialize import create_serializer

from sluice.protocol.context import CONTEXT_KEY, RequestContext
from sluice.protocol.model import service_model
from sluice.protocol.sigv4 import SigV4Middleware

from ._wire import ENDPOINT, FLOW_ARN, asgi_scope, operation, sample_params, signed_request

ACCOUNT = "123456789012"
KEYS = {"AKIDEXAMPLE": ("secret", ACCOUNT)}


class Recorder:
    """A tiny ASGI app: remembers what it saw and answers 200 with a ListTagsForResource body."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        message = await receive()
        self.calls.append((scope, message["body"]))
        body = json.dumps({"tags": {"seen": scope["path"]}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


Result = tuple[int, dict[str, str], bytes]


def run(app: Any, scope: dict[str, Any], body: bytes, chunk: int | None = None) -> Result:
    messages: list[dict[str, Any]] = []
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk and body else [body]
    incoming: Iterator[dict[str, Any]] = iter(
        [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    )

    async def receive() -> dict[str, Any]:
        return next(incoming, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start, *bodies = messages
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in bodies)


def body_of(prepared: AWSPreparedRequest) -> bytes:
    body = prepared.body or b""
    return body.encode() if isinstance(body, str) else body


def through(app: Any, prepared: AWSPreparedRequest, chunk: int | None = None) -> Result:
    return run(app, asgi_scope(prepared), body_of(prepared), chunk)


def middleware(app: Any = None, **kwargs: Any) -> SigV4Middleware:
    return SigV4Middleware(app or Recorder(), KEYS.get, **kwargs)


def assert_error(result: Result, status: int, code: str, message: str | None = None) -> None:
    got_status, headers, body = result
    assert (got_status, headers["x-amzn-errortype"]) == (status, code)
    assert headers["x-amzn-requestid"]
    assert headers["content-length"] == str(len(body))
    if message is not None:
        assert json.loads(body)["message"] == message


MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@pytest.mark.parametrize("name", service_model().operation_names)
def test_botocore_signed_requests_pass_for_every_operation(name: str) -> None:
    app = Recorder()
    op = operation(name)
    prepared = signed_request(op, sample_params(op), region="eu-west-1")
    status, headers, _ = through(middleware(app), prepared, chunk=7)
    assert status == 200
    ((scope, body),) = app.calls
    context = scope[CONTEXT_KEY]
    assert isinstance(context, RequestContext)
    assert context == RequestContext(
        request_id=headers["x-amzn-requestid"],
        account_id=ACCOUNT,
        region="eu-west-1",
        access_key_id="AKIDEXAMPLE",
        caller_arn=f"arn:aws:iam::{ACCOUNT}:root",
    )
    assert body == body_of(prepared)  # buffered in chunks, replayed whole


def test_tags_path_with_encoded_arn_and_repeated_query() -> None:
    op = operation("UntagResource")
    prepared = signed_request(op, {"resourceArn": FLOW_ARN, "tagKeys": ["b", "a/1", "a b", "a"]})
    assert "%2F" in prepared.url and prepared.url.count("tagKeys=") == 4
    assert through(middleware(), prepared)[0] == 200


@pytest.fixture
def client() -> Any:
    """A real botocore AppFlow client whose HTTP layer is the middleware in front of a Recorder."""
    app = Recorder()
    client = botocore.session.get_session().create_client(
        "appflow",
        region_name="ap-southeast-2",
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )

    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        status, headers, body = through(middleware(app), request)

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, status, HeadersDict(headers), Raw())

    client.meta.events.register("before-send.appflow.*", send)
    client.recorder = app
    return client


def test_a_real_client_gets_through(client: Any) -> None:
    response = client.list_tags_for_resource(resourceArn=FLOW_ARN)
    assert response["tags"] == {"seen": f"/tags/{FLOW_ARN}"}
    assert response["ResponseMetadata"]["RequestId"]
    client.untag_resource(resourceArn=FLOW_ARN, tagKeys=["team", "cost/centre"])
    client.tag_resource(resourceArn=FLOW_ARN, tags={"team": "data"})
    client.list_flows(maxResults=5)
    contexts = [scope[CONTEXT_KEY] for scope, _ in client.recorder.calls]
    assert [c.region for c in contexts] == ["ap-southeast-2"] * 4


def test_a_real_client_sees_the_aws_error(client: Any) -> None:
    client._request_signer._credentials = Credentials("AKIDEXAMPLE", "not-the-secret")
    with pytest.raises(ClientError) as info:
        client.list_flows()
    assert info.value.response["Error"] == {"Code": "InvalidSignatureException", "Message": MISMATCH}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_tampered_body_is_refused() -> None:
    op = operation("CreateFlow")
    prepared = signed_request(op, sample_params(op))
    scope = asgi_scope(prepared)
    body = body_of(prepared).replace(b'"v"', b'"w"', 1)
    assert body != body_of(prepared)
    assert_error(run(middleware(), scope, body), 403, "InvalidSignatureException", MISMATCH)


def test_declared_payload_hash_must_be_the_bodys() -> None:
    op = operation("ListFlows")
    serialized = create_serializer("rest-json").serialize_to_request({"maxResults": 5}, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    request.headers["X-Amz-Content-SHA256"] = "0" * 64
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "appflow", "us-east-1").add_auth(request)
    assert_error(through(middleware(), request.prepare()), 403, "InvalidSignatureException")


def test_wrong_secret_is_refused() -> None:
    op = operation("ListFlows")
    prepared = signed_request(op, {}, secret="guess")
    assert_error(through(middleware(), prepared), 403, "InvalidSignatureException", MISMATCH)


def test_unknown_key_is_refused() -> None:
    prepared = signed_request(operation("ListFlows"), {}, access_key="AKIDUNKNOWN")
    assert_error(
        through(middleware(), prepared),
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_missing_authorization_is_refused() -> None:
    prepared = signed_request(operation("ListFlows"), {})
    scope = asgi_scope(prepared)
    scope["headers"] = [h for h in scope["headers"] if h[0] != b"authorization"]
    assert_error(run(middleware(), scope, body_of(prepared)), 403, "UnrecognizedClientException")


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/appflow/aws4_request",
        "AWS AKIDEXAMPLE:signature",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/us-east-1, SignedHeaders=host, Signature=abc",
    ],
)
def test_malformed_authorization_is_incomplete(authorization: str) -> None:
    prepared = signed_request(operation("ListFlows"), {})
    scope = asgi_scope(prepared)
    scope["headers"] = [h for h in scope["headers"] if h[0] != b"authorization"]
    scope["headers"].append((b"authorization", authorization.encode()))
    assert_error(run(middleware(), scope, body_of(prepared)), 400, "IncompleteSignatureException")


def test_other_service_scope_is_refused() -> None:
    op = operation("ListFlows")
    serialized = create_serializer("rest-json").serialize_to_request({}, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "s3", "us-east-1").add_auth(request)
    assert_error(
        through(middleware(), request.prepare()),
        403,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'appflow'.",
    )


def test_skewed_clock_is_refused() -> None:
    prepared = signed_request(operation("ListFlows"), {})
    stamp = prepared.headers["X-Amz-Date"]
    signed = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    fmt = "%Y%m%dT%H%M%SZ"

    later = signed + dt.timedelta(minutes=20)
    status, headers, body = through(middleware(clock=later.timestamp), prepared)
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"] == (
        f"Signature expired: {stamp} is now earlier than {(later - dt.timedelta(minutes=15)).strftime(fmt)} "
        f"({later.strftime(fmt)} - 15 min.)"
    )

    earlier = signed - dt.timedelta(minutes=20)
    status, headers, body = through(middleware(clock=earlier.timestamp), prepared)
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"].startswith(f"Signature not yet current: {stamp} is still later than")

    # within the allowed skew is fine
    assert through(middleware(clock=(signed + dt.timedelta(minutes=14)).timestamp), prepared)[0] == 200
    assert through(middleware(clock=later.timestamp, clock_skew_seconds=1500), prepared)[0] == 200


def test_date_header_instead_of_x_amz_date() -> None:
    op = operation("ListFlows")
    serialized = create_serializer("rest-json").serialize_to_request({}, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    request.headers["Date"] = "placeholder"  # botocore then signs with Date, not X-Amz-Date
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "appflow", "us-east-1").add_auth(request)
    prepared = request.prepare()
    assert "X-Amz-Date" not in prepared.headers
    assert through(middleware(), prepared)[0] == 200


def test_presigned_query_string() -> None:
    op = operation("ListTagsForResource")
    serialized = create_serializer("rest-json").serialize_to_request({"resourceArn": FLOW_ARN}, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    SigV4QueryAuth(Credentials("AKIDEXAMPLE", "secret"), "appflow", "us-west-2", expires=60).add_auth(request)
    prepared = request.prepare()
    assert "X-Amz-Signature=" in prepared.url and "Authorization" not in prepared.headers
    app = Recorder()
    assert through(middleware(app), prepared)[0] == 200
    assert app.calls[0][0][CONTEXT_KEY].region == "us-west-2"
    expired = middleware(clock=lambda: time.time() + 120)
    assert_error(through(expired, prepared), 403, "InvalidSignatureException")
    tampered = asgi_scope(prepared)
    tampered["query_string"] = tampered["query_string"].replace(b"X-Amz-Expires=60", b"X-Amz-Expires=600")
    assert_error(run(middleware(), tampered, b""), 403, "InvalidSignatureException", MISMATCH)


def test_body_over_the_limit_is_refused() -> None:
    op = operation("CreateFlow")
    prepared = signed_request(op, sample_params(op))
    assert_error(
        through(middleware(max_body_bytes=100), prepared, chunk=50), 413, "RequestEntityTooLargeException"
    )


def test_lifespan_and_exempt_paths_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        if scope["type"] == "http":
            assert CONTEXT_KEY not in scope
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        return None

    asyncio.run(middleware(app)({"type": "lifespan"}, receive, send))

    def scope(path: str) -> dict[str, Any]:
        return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
                "query_string": b"", "headers": []}

    status, _, _ = run(middleware(app, exempt_paths=["/health"]), scope("/health"), b"")
    assert status == 204
    assert seen == ["lifespan", "http"]
    assert_error(run(middleware(app), scope("/health"), b""), 403, "UnrecognizedClientException")
    # Only the exact path is exempt: a longer one is signed like any other.
    for path in ("/health/live", "/healthz", "/health/"):
        assert_error(run(middleware(app, exempt_paths=["/health"]), scope(path), b""), 403,
                     "UnrecognizedClientException")


def test_request_id_is_added_to_app_responses_once() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        own = [(b"x-amzn-requestid", b"app-chose")] if scope["path"] == "/list-flows" else []
        await send({"type": "http.response.start", "status": 200, "headers": own})
        await send({"type": "http.response.body", "body": b"{}"})

    prepared = signed_request(operation("ListFlows"), {})
    _, headers, _ = through(middleware(app), prepared)
    assert headers["x-amzn-requestid"] == "app-chose"
    prepared = signed_request(operation("DescribeConnectors"), {})
    _, headers, _ = through(middleware(app), prepared)
    assert len(headers["x-amzn-requestid"]) == 36


def test_receive_after_the_replayed_body_reaches_the_server() -> None:
    messages: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        messages.append(await receive())
        messages.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    op = operation("ListFlows")
    prepared = signed_request(op, {"maxResults": 3})
    through(middleware(app), prepared, chunk=4)
    assert messages == [
        {"type": "http.request", "body": body_of(prepared), "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    prepared = signed_request(operation("ListFlows"), {})
    scope = asgi_scope(prepared)
    scope["headers"] = [
        (k, v[:-4] + "é".encode("latin-1") if k == b"authorization" else v) for k, v in scope["headers"]
    ]
    assert_error(run(middleware(), scope, body_of(prepared)), 403, "InvalidSignatureException", MISMATCH)


def test_a_failing_key_resolver_is_a_500_without_details() -> None:
    def broken(access_key: str) -> tuple[str, str] | None:
        raise RuntimeError("database is down")

    prepared = signed_request(operation("ListFlows"), {})
    result = through(SigV4Middleware(Recorder(), broken), prepared)
    assert_error(result, 500, "InternalServerException", "Internal server error")


@pytest.mark.parametrize("expires", ["-1", "604801", "soon"])
def test_presigned_expiry_must_be_sane(expires: str) -> None:
    prepared = signed_request(operation("ListFlows"), {})
    scope = asgi_scope(prepared)
    scope["headers"] = [h for h in scope["headers"] if h[0] != b"authorization"]
    scope["query_string"] = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Fappflow"
        f"%2Faws4_request&X-Amz-Date=20261123T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=abc"
    ).encode()
    assert_error(run(middleware(), scope, b""), 400, "IncompleteSignatureException")
