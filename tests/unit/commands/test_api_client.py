"""The endpoint and the signed /sluice/v1 GETs of `sluice.commands.api_client`."""

from __future__ import annotations

import httpx
import pytest

from sluice.commands.api_client import DEFAULT_ENDPOINT, ApiError, endpoint_url, resource_path
from tests.unit.commands.stub import Resources, api


def test_endpoint_precedence(monkeypatch):
    for name in ("SLUICE_URL", "AWS_ENDPOINT_URL_APPFLOW", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert endpoint_url() == DEFAULT_ENDPOINT
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")
    assert endpoint_url() == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPFLOW", "http://127.0.0.1:2")
    assert endpoint_url() == "http://127.0.0.1:2"
    monkeypatch.setenv("SLUICE_URL", "http://127.0.0.1:3")
    assert endpoint_url() == "http://127.0.0.1:3"
    assert endpoint_url("http://127.0.0.1:4") == "http://127.0.0.1:4"


def test_resource_path_encodes_each_segment():
    assert resource_path("flows", "a/b#c", "executions", "x") == "/sluice/v1/flows/a%2Fb%23c/executions/x"


def test_get_json_signs_and_maps_answers():
    client, _, resources = api(Resources(details={"run": {"executionId": "run"}}))
    assert client.get_json("/sluice/v1/flows/f/executions/run") == {"executionId": "run"}
    assert client.get_json("/sluice/v1/flows/f/executions/other") is None
    assert resources.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDSTUB/")


def test_a_refusal_is_an_api_error_with_the_aws_code():
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"message": "The request signature we calculated does not match"},
                              headers={"x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/"})

    client, _, _ = api()
    client.http = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(ApiError) as refused:
        client.get_json("/sluice/v1/flows/f/executions/run")
    assert refused.value.code == "InvalidSignatureException"
    assert "does not match" in refused.value.message
