"""A fake Salesforce org beside a Sluice server, for the Salesforce tests.

`sluice_env(fake.url)` is the server environment that points Sluice's login host and connected app
at the fake. `token_profile` builds a CreateConnectorProfile request whose tokens the fake has
issued. `shared_fake()` is one small org per test process for tests that only need a Salesforce
profile to exist (the control-plane tests), whose made-up tokens `register_token` makes valid.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from tests.fakes.salesforce.server import FakeSalesforce

APP_CLIENT_ID = "sluice-client"
APP_CLIENT_SECRET = "sluice-secret"
USER = "admin@sluice.test"

_shared: FakeSalesforce | None = None
_lock = threading.Lock()


def sluice_env(fake_url: str, **extra: str) -> dict[str, str]:
    """Server environment: the fake at `fake_url` is the login host (sandbox too) and knows Sluice's app."""
    return {
        "SLUICE_SALESFORCE_LOGIN_URL": fake_url,
        "SLUICE_SALESFORCE_SANDBOX_LOGIN_URL": fake_url,
        "SLUICE_SALESFORCE_CLIENT_ID": APP_CLIENT_ID,
        "SLUICE_SALESFORCE_CLIENT_SECRET": APP_CLIENT_SECRET,
        # Backoff quick enough for tests; the bounds are what is tested, not the waits.
        "SLUICE_SALESFORCE_MAX_ATTEMPTS": "4",
        "SLUICE_SALESFORCE_BACKOFF_BASE": "0.05",
        **extra,
    }


def token_profile(name: str, fake: FakeSalesforce, ttl: float | None = None) -> dict[str, Any]:
    """CreateConnectorProfile with an access token and a refresh token the fake issued."""
    return profile_request(name, fake.url, {
        "accessToken": fake.org.auth.issue_token(USER, APP_CLIENT_ID, ttl=ttl),
        "refreshToken": fake.org.auth.issue_refresh_token(USER, APP_CLIENT_ID),
    })


def account_event_flow(name: str, profile: str, bucket: str) -> dict[str, Any]:
    """CreateFlow for an Event flow on Account changes into `bucket`/out as Parquet (every field)."""
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "Event"},
        "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Salesforce": {"object": "Account"}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": bucket, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                   "taskProperties": {}}],
    }


def profile_request(name: str, instance_url: str, credentials: dict[str, Any], **props: Any) -> dict[str, Any]:
    """A Salesforce CreateConnectorProfile request."""
    return {
        "connectorProfileName": name,
        "connectorType": "Salesforce",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"Salesforce": {"instanceUrl": instance_url, **props}},
            "connectorProfileCredentials": {"Salesforce": credentials},
        },
    }


def shared_fake() -> FakeSalesforce:
    """One small fake org for this test process, started on first use."""
    global _shared
    with _lock:
        if _shared is None:
            fake = FakeSalesforce(seed_counts={"Account": 50, "Contact": 50, "Opportunity": 50})
            fake.start()
            atexit.register(fake.stop)
            _shared = fake
        return _shared


def register_token(fake: FakeSalesforce, token: str, ttl: float = 86_400) -> None:
    """Make a made-up access token valid in the fake (tests that only need a profile to exist)."""
    fake.org.auth.issue_token(USER, APP_CLIENT_ID, ttl=ttl, token=token)
