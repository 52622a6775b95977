"""Test helpers: sample inputs for any shape, and botocore-made requests as ASGI scopes.

botocore is the oracle: requests come from its rest-json serializer and signer, never from
hand-built URLs or bodies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer

from sluice.protocol.model import service_model

ENDPOINT = "http://testserver"
FLOW_ARN = "arn:aws:appflow:us-east-1:123456789012:flow/my-flow"
WHEN = dt.datetime(2026, 11, 23, 10, 10, 10, 123000, tzinfo=dt.UTC)


def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


def sample_value(shape: Shape, name: str = "", depth: int = 0) -> Any:
    """A value of `shape` that botocore's own parameter validation accepts."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {n: sample_value(m, n, depth + 1) for n, m in shape.members.items()}
    if kind == "list":
        return [sample_value(shape.member, name, depth + 1)]
    if kind == "map":
        return {"key1": sample_value(shape.value, name, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        if name == "resourceArn":
            return FLOW_ARN
        return "v" * max(shape.metadata.get("min", 1), 1)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("double", "float"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"bytes"
    raise AssertionError(f"no sample for {kind}")


def sample_params(op: OperationModel) -> dict[str, Any]:
    params = sample_value(op.input_shape) if op.input_shape is not None else {}
    if "tagKeys" in params:
        params["tagKeys"] = ["team", "cost/centre", "a b"]
    return params


def botocore_request(op: OperationModel, params: dict[str, Any]) -> AWSPreparedRequest:
    """The HTTP request botocore's rest-json serializer makes for `params` (unsigned)."""
    serialized = create_serializer("rest-json").serialize_to_request(params, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    return create_request_object(serialized).prepare()


def signed_request(
    op: OperationModel,
    params: dict[str, Any],
    access_key: str = "AKIDEXAMPLE",
    secret: str = "secret",
    region: str = "us-east-1",
) -> AWSPreparedRequest:
    serialized = create_serializer("rest-json").serialize_to_request(params, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    SigV4Auth(Credentials(access_key, secret), "appflow", region).add_auth(request)
    return request.prepare()


def split(prepared: AWSPreparedRequest) -> tuple[str, str, list[tuple[str, str]], dict[str, str], bytes]:
    """method, raw path, decoded query pairs, headers, body of a prepared request."""
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    return prepared.method, url.path, parse_qsl(url.query, keep_blank_values=True), headers, body


def asgi_scope(prepared: AWSPreparedRequest) -> dict[str, Any]:
    """The ASGI HTTP scope a server such as uvicorn builds for `prepared`."""
    url = urlsplit(prepared.url)
    headers = [(b"host", url.netloc.encode())]
    for k, v in prepared.headers.items():
        headers.append((k.lower().encode(), v if isinstance(v, bytes) else v.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": prepared.method,
        "scheme": url.scheme,
        "path": unquote(url.path),
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": headers,
    }
