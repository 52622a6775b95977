"""Pardot's host, login host and business unit header follow the profile (production or sandbox)."""

from __future__ import annotations

import httpx
import pytest

from sluice.connectors.base import ProfileView
from sluice.connectors.pardot.connector import API, auth_for, base_url, classify, pardot_error, throttled
from sluice.connectors.rest.api import VendorError


def view(sandbox: bool) -> ProfileView:
    return ProfileView(name="p", connector_type="Pardot",
                       properties={"businessUnitId": "0Uv000000000001AAA", "isSandboxEnvironment": sandbox},
                       credentials={"accessToken": "t", "refreshToken": "r"})


def test_hosts_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_PARDOT", raising=False)
    monkeypatch.setenv("SLUICE_SALESFORCE_SANDBOX_LOGIN_URL", "https://test.example.salesforce.com")
    assert base_url(view(False)) == "https://pi.pardot.com"
    assert base_url(view(True)) == "https://pi.demo.pardot.com"
    grant = auth_for(view(True)).grant
    assert grant is not None and grant.token_url("", {}) == "https://test.example.salesforce.com/services/oauth2/token"
    production = auth_for(view(False)).grant
    assert production is not None and production.token_url("", {}) == "https://login.salesforce.com/services/oauth2/token"
    assert "test.example.salesforce.com" in API.vendor_hosts() and "pardot.com" in API.vendor_hosts()


def test_every_call_carries_the_token_and_the_business_unit() -> None:
    request = httpx.Request("GET", "https://pi.pardot.com/api/v5/objects/users")
    auth_for(view(False)).apply({"accessToken": "tok"}, request)
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Pardot-Business-Unit-Id"] == "0Uv000000000001AAA"


def test_v5_error_codes_are_classified() -> None:
    def error(status: int, code: int) -> VendorError:
        return pardot_error(httpx.Response(status), {"code": code, "message": "m"})

    assert classify(error(401, 184)) == "InvalidCredentials"
    assert classify(error(400, 181)) == "InvalidArgument"
    assert throttled(error(429, 66)) and not throttled(error(429, 122))
    assert classify(error(429, 122)) == "ThrottlingError"
