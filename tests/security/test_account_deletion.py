"""`sluice accounts delete` takes effect at once: the very next request with the account's keys
(AppFlow keys and connector keys alike) is refused, and nothing the account owned is left behind.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.builders import custom_profile, register_connector, s3_flow, unique
from tests.security.conftest import Tenant, new_account
from tests.support.server import OFFLINE_HANDLER, SluiceServer

TABLES = ("flows", "connector_profiles", "connector_registrations", "execution_records", "client_tokens",
          "metadata_cache")


def owned_rows(server: SluiceServer, account_id: str) -> dict[str, int]:
    with sqlite3.connect(server.data_dir / "sluice.db") as db:
        return {table: db.execute(f"SELECT count(*) FROM {table} WHERE account_id = ?", (account_id,)).fetchone()[0]
                for table in TABLES}


def secrets_client(server: SluiceServer, key: str, secret: str) -> Any:
    return boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def refused(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_a_deleted_accounts_keys_stop_working_at_once(secured_server: SluiceServer) -> None:
    tenant: Tenant = new_account(secured_server, unique("doomed"))
    for bucket in ("sluice-source", "sluice-destination"):  # the default account's; shared for the flow
        granted = secured_server.cli("buckets", "grant", bucket, tenant.name)
        assert granted.returncode == 0, granted.stderr
    client = tenant.client()
    function = f"arn:aws:lambda:us-east-1:123456789012:function:{unique('doomed')}"
    done = secured_server.cli("connectors", "link", function, OFFLINE_HANDLER, "--account", tenant.name)
    assert done.returncode == 0, done.stderr
    label, profile, flow = unique("c"), unique("p"), unique("f")
    client.register_connector(**register_connector(label, function))
    client.create_connector_profile(**custom_profile(profile, label))
    client.create_flow(**s3_flow(flow))
    env = secured_server.cli("connectors", "env", "--account", tenant.name, "--label", label)
    keys = dict(re.findall(r"^export (\w+)=(\S+)$", env.stdout, re.MULTILINE))
    secrets = secrets_client(secured_server, keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
    arn = client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"][0][
        "credentialsArn"]
    # Both kinds of key work (and any per-process cache has seen them) just before the deletion.
    assert [f["flowName"] for f in client.list_flows()["flows"]] == [flow]
    assert secrets.get_secret_value(SecretId=arn)["SecretString"]
    assert all(owned_rows(secured_server, tenant.account_id)[t] for t in ("flows", "connector_profiles"))

    deleted = secured_server.cli("accounts", "delete", tenant.name)
    assert deleted.returncode == 0, deleted.stderr

    # The very next requests are refused: no window in which the keys still create things.
    assert refused(lambda: client.create_flow(**s3_flow(unique("orphan")))) == "UnrecognizedClientException"
    assert refused(client.list_flows) == "UnrecognizedClientException"
    assert refused(lambda: secrets.get_secret_value(SecretId=arn)) == "UnrecognizedClientException"
    assert owned_rows(secured_server, tenant.account_id) == dict.fromkeys(TABLES, 0)
