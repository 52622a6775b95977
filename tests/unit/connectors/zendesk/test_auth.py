"""Profile checks and tokens: an authorization code is exchanged, an expired token is renewed and re-sealed."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.zendesk.connector import CONNECTOR
from tests.fakes.zendesk.server import FakeZendesk


def test_an_authorization_code_is_exchanged_for_a_token_pair(fake: FakeZendesk, profile: ProfileView) -> None:
    code = fake.state.auth.authorization_code("sluice", "read write")
    asked = replace(profile, credentials={"clientId": "sluice", "clientSecret": "sluice-secret",
                                          "oAuthRequest": {"authCode": code, "redirectUri": "https://x.example/cb"}})
    stored = CONNECTOR.check_profile(asked)
    assert "oAuthRequest" not in stored and fake.state.auth.bearer(stored["accessToken"]) is not None
    assert stored["refreshToken"]
    with pytest.raises(ConnectorError, match="authorization grant is invalid"):
        CONNECTOR.check_profile(asked)  # a code works once


def test_an_expired_token_is_renewed_and_resealed(fake: FakeZendesk, profile: ProfileView, tmp_path: Any) -> None:
    pair = fake.state.auth.issue("read write", "sluice")
    saved: list[dict[str, Any]] = []
    renewing = replace(profile, credentials={**profile.credentials, "accessToken": pair.access,
                                             "refreshToken": pair.refresh}, save_credentials=saved.append)
    fake.state.expire_tokens()
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=time.time(),
                     data_dir=str(tmp_path))
    rows = sum(b.num_rows for b in CONNECTOR.open_source(renewing, {"object": "groups"}, ctx).read())
    assert rows == 3 and len(saved) == 1 and saved[0]["accessToken"] != pair.access
    assert fake.state.auth.bearer(saved[0]["accessToken"]) is not None


def test_a_token_without_a_refresh_token_fails_with_zendesks_message(fake: FakeZendesk, profile: ProfileView) -> None:
    fake.state.expire_tokens()
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(profile)
    assert refused.value.code == "InvalidCredentials" and "expired, revoked, malformed" in refused.value.message
