"""Custom connectors across accounts and against the server's own files, over HTTP.

* A `sluice connectors link` binds an ARN for the accounts it names: another account registering
  the same ARN reaches Lambda (here a capture listener), never the operator's local code.
* A local worker runs as another user with a scrubbed environment and an empty working
  directory: it cannot open `sluice.db` or `master.key`, and sees no server setting.
* A connector key reads only the secrets of the connector (label) it was issued for.
* The root the connector keys derive from is sealed with the master key; a plaintext root an
  older Sluice stored is sealed (and kept) at start.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.builders import custom_profile, register_connector, unique
from tests.security.conftest import Capture, Tenant, default_account, listening, new_account
from tests.support.server import SluiceServer

FAKES = Path(__file__).resolve().parents[1] / "fakes" / "connectors"
OFFLINE = f"{FAKES / 'offline.py'}:lambda_handler"
PROBE = f"{FAKES / 'probe.py'}:lambda_handler"


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


@pytest.fixture(scope="module")
def lambda_capture() -> Iterator[Capture]:
    """Stands in for the Lambda Invoke endpoint: any non-local invocation lands here."""
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, lambda_capture: Capture) -> Iterator[SluiceServer]:
    links = Path(tempfile.mkdtemp(prefix="sluice-sec-links-")) / "connector-links.json"
    srv = SluiceServer(data_dir=tmp_path_factory.mktemp("sec-custom"), workers=1, extra_env={
        "AWS_ENDPOINT_URL_LAMBDA": lambda_capture.url, "SLUICE_CONNECTOR_LINKS": str(links),
        # Any keys: the server signs its Lambda calls, and the listener takes whatever comes.
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    })
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


BOB_AWS_KEY = "AKIABOBOWNIDENTITY01"


@pytest.fixture(scope="module")
def alice(server: SluiceServer) -> Tenant:
    return default_account(server)


@pytest.fixture(scope="module")
def bob(server: SluiceServer) -> Tenant:
    tenant = new_account(server, "bob")
    # bob reaches AWS as himself (never as the server): Lambda calls for him are signed with these keys.
    done = server.cli("accounts", "aws", "bob", "--access-key-id", BOB_AWS_KEY, "--secret-access-key", "bob-secret")
    assert done.returncode == 0, done.stderr
    return tenant


def link(server: SluiceServer, function: str, target: str, *accounts: str) -> None:
    args = [a for name in accounts for a in ("--account", name)]
    done = server.cli("connectors", "link", function, target, *args)
    assert done.returncode == 0, done.stderr


def connector_keys(server: SluiceServer, label: str, account: str | None = None) -> tuple[str, str]:
    """The keys `sluice connectors env` hands a deployed connector of `label`."""
    done = server.cli("connectors", "env", "--label", label, *(["--account", account] if account else []))
    assert done.returncode == 0, done.stderr
    env = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.MULTILINE))
    return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]


def secrets_client(server: SluiceServer, keys: tuple[str, str]) -> Any:
    return boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                        config=Config(retries={"max_attempts": 1}))


def credentials_arn(tenant: Tenant, profile: str) -> str:
    detail = tenant.client().describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"]
    return str(detail[0]["credentialsArn"])


def test_a_link_runs_local_code_only_for_the_accounts_it_names(
    server: SluiceServer, alice: Tenant, bob: Tenant, lambda_capture: Capture
) -> None:
    function = unique("linked")
    link(server, arn(function), OFFLINE)  # the default account: alice
    lambda_capture.clear()
    alice.client().register_connector(**register_connector(unique("mine"), arn(function)))
    assert lambda_capture.requests == []  # alice's registration ran the local handler

    # bob names the same ARN: it is a Lambda function to him, as it would be on AWS.
    with pytest.raises(ClientError) as caught:
        bob.client().register_connector(**register_connector(unique("theirs"), arn(function)))
    assert caught.value.response["Error"]["Code"] == "ConnectorServerException"
    wanted = (f"/functions/{arn(function)}/invocations".replace(":", "%3A").encode(),
              f"/functions/{arn(function)}/invocations".encode())
    # The listener records a request just after answering it: wait for the record, briefly.
    deadline = time.monotonic() + 10
    while not any(w in b"".join(lambda_capture.requests) for w in wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(w in b"".join(lambda_capture.requests) for w in wanted), lambda_capture.requests[:3]
    assert f"Credential={BOB_AWS_KEY}/".encode() in b"".join(lambda_capture.requests)

    # The operator can link it for bob too, naming him.
    link(server, arn(function), OFFLINE, "bob")
    lambda_capture.clear()
    bob.client().register_connector(**register_connector(unique("theirs"), arn(function)))
    assert lambda_capture.requests == []
    listed = server.cli("connectors", "links").stdout
    assert f"{arn(function)}  {alice.account_id}" in listed and f"{arn(function)}  {bob.account_id}" in listed


def test_a_local_worker_cannot_open_the_servers_files(server: SluiceServer, alice: Tenant) -> None:
    function, label, profile = unique("probe"), unique("probe"), unique("probe")
    link(server, arn(function), PROBE)
    client = alice.client()
    client.register_connector(**register_connector(label, arn(function)))
    data_dir = server.data_dir.resolve()
    paths = [data_dir / "sluice.db", data_dir / "master.key", data_dir]
    request = custom_profile(profile, label)
    request["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["profileProperties"] = {
        "probePaths": ",".join(map(str, paths))}
    client.create_connector_profile(**request)
    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    report = json.loads(next(e["label"] for group in entities.values() for e in group if e["name"] == "report"))

    # The files exist (the server reads them), yet the connector is refused each one.
    assert (data_dir / "sluice.db").is_file() and (data_dir / "master.key").is_file()
    if "local connectors run as the server's user" in server.log():
        # The documented fallback, where the worker user cannot reach this checkout or its Python
        # (e.g. a clone below a 0700 home): the server said so; the rest below still holds.
        assert report["uid"] == os.getuid()
    else:
        assert report["opened"] == {str(path): "PermissionError" for path in paths}, report
        assert report["uid"] != 0
    # An empty working directory of its own, and none of the server's settings or keys.
    assert report["cwd_entries"] == [] and not report["cwd"].startswith(str(data_dir))
    leaked = {name for name in report["env"] if name.startswith("SLUICE_") and name != "SLUICE_WORKER_MEMORY_MB"}
    assert leaked == set(), leaked


def test_a_connector_key_reads_only_its_own_connectors_secrets(server: SluiceServer, alice: Tenant,
                                                                bob: Tenant) -> None:
    function = unique("keys")
    link(server, arn(function), OFFLINE, "default", "bob")
    first, second = unique("first"), unique("second")
    client = alice.client()
    for label in (first, second):
        client.register_connector(**register_connector(label, arn(function)))
        client.create_connector_profile(**custom_profile(f"{label}-p", label, api_key=f"key-of-{label}"))
    own = credentials_arn(alice, f"{first}-p")
    other = credentials_arn(alice, f"{second}-p")

    reader = secrets_client(server, connector_keys(server, first))
    assert json.loads(reader.get_secret_value(SecretId=own)["SecretString"])["apiKey"] == f"key-of-{first}"
    with pytest.raises(ClientError) as caught:
        reader.get_secret_value(SecretId=other)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # bob's key for a connector of the same label opens nothing of alice's.
    bob.client().register_connector(**register_connector(first, arn(function)))
    with pytest.raises(ClientError) as caught:
        secrets_client(server, connector_keys(server, first, "bob")).get_secret_value(SecretId=own)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def settings_rows(data_dir: Path) -> dict[str, bytes]:
    with sqlite3.connect(data_dir / "sluice.db") as db:
        return {key: bytes(value) for key, value in db.execute("SELECT key, value FROM server_settings")}


def derived_secret(root: bytes, key_id: str) -> str:
    return hmac.new(root, f"connector-secrets:{key_id}".encode(), hashlib.sha256).hexdigest()


def test_the_connector_key_root_is_sealed_and_an_old_plaintext_root_is_adopted(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = SluiceServer(data_dir=tmp_path_factory.mktemp("sec-root"), workers=0)
    srv.start()
    try:
        key_id, secret = connector_keys(srv, "acme")
    finally:
        srv.stop()
    rows = settings_rows(srv.data_dir)
    assert "connector_secrets_key" not in rows
    stored = rows["connector_secrets_root"]
    assert derived_secret(stored, key_id) != secret  # what is stored is not the root itself

    # An older Sluice kept the root in plaintext: it is sealed at start, and its keys still work.
    legacy = b"\x01" * 32
    with sqlite3.connect(srv.data_dir / "sluice.db") as db:
        db.execute("DELETE FROM server_settings WHERE key = 'connector_secrets_root'")
        db.execute("INSERT INTO server_settings (key, value) VALUES ('connector_secrets_key', ?)", (legacy,))
    srv.start()
    try:
        rows = settings_rows(srv.data_dir)
        assert "connector_secrets_key" not in rows and legacy not in rows["connector_secrets_root"]
        assert connector_keys(srv, "acme") == (key_id, derived_secret(legacy, key_id))
    finally:
        srv.stop()
