"""Logs never carry secrets, even at SLUICE_LOG_LEVEL=debug.

A server logging at debug creates a Salesforce CLIENT_CREDENTIALS profile: it reads the connected
app's secret from (moto's) Secrets Manager, posts it to the fake org's token endpoint, and then
calls the org with the access token it got. Neither the secret nor any token may reach the log.
A first start whose stdout is not a terminal (a log file here) writes the generated keys to a
0600 file and names it in the log, instead of printing the secret key into the log stream.
"""

from __future__ import annotations

import json
import re
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.salesforce import profile_request, sluice_env
from tests.support.server import SluiceServer

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 5, "Contact": 5, "Opportunity": 5}).start()
    try:
        yield fake
    finally:
        fake.stop()


def test_debug_log_has_no_client_secret_and_no_token(
    org: FakeSalesforce, moto_s3: str, start_server: Callable[..., SluiceServer]
) -> None:
    # The fake org listens on http://127.0.0.1: the operator allows private endpoints (the default
    # of test servers), which does not relax what may be logged.
    server = start_server(SLUICE_LOG_LEVEL="debug", SLUICE_ALLOW_PRIVATE_ENDPOINTS="true",
                          **sluice_env(org.url, AWS_ENDPOINT_URL_SECRETSMANAGER=moto_s3), **MOTO_KEYS)
    client_id, client_secret = f"app-{uuid.uuid4().hex[:8]}", f"app-secret-{uuid.uuid4().hex}"
    org.org.auth.register_client(client_id, client_secret)
    secrets = boto3.client("secretsmanager", endpoint_url=moto_s3, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = secrets.create_secret(Name=unique("sf-app"), SecretString=json.dumps(
        {"clientId": client_id, "clientSecret": client_secret}))["ARN"]

    appflow = server.client()
    name = unique("sf-cc")
    appflow.create_connector_profile(**profile_request(name, org.url, {
        "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": arn}))
    entities = appflow.list_connector_entities(connectorProfileName=name)["connectorEntityMap"]
    assert "Account" in {e["name"] for group in entities.values() for e in group}
    tokens = list(org.org.auth.sessions)
    assert tokens, "the org issued no access token"

    log = server.log()
    assert " DEBUG sluice.connectors.outbound connecting to " in log, "the server did not log at debug"
    assert client_secret not in log
    for token in tokens:
        assert token not in log
        assert token.partition("!")[2] not in log  # the token's secret half, however it is quoted


def test_first_start_keys_go_to_a_private_file_when_stdout_is_not_a_terminal(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("first-start"), fixed_keys=False,
                          extra_env={"SLUICE_LOG_LEVEL": "debug"})
    server.start()
    try:
        log = server.log()
        named = re.search(r"Its keys are in (\S+) ", log)
        assert named, log
        path = Path(named.group(1))
        assert path.parent == server.data_dir
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        keys = dict(re.findall(r"^export (\w+)=(\S+)$", path.read_text(), re.MULTILINE))
        assert keys["AWS_SECRET_ACCESS_KEY"] not in log
        assert "export AWS_SECRET_ACCESS_KEY" not in log
        # The file's keys are the default account's.
        client = server.client(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
        assert "flows" in client.list_flows()
    finally:
        server.stop()
