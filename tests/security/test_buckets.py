"""Local S3 buckets belong to accounts, and the local store never follows a symlink.

Two accounts on one server with the embedded S3 backend: `tenant_a` (the default account, which
owns every bucket folder nobody recorded) and `tenant_b`. B must not list A's bucket folders,
describe or read A's objects, or write into A's buckets, whether through metadata calls,
CreateFlow or a run, until `sluice buckets grant` lets it; an unusable bucket must look exactly
like a missing one. Links inside `<data dir>/s3` (to `master.key`, to a folder outside, as a
bucket folder, as an intermediate folder) are never listed, read or written through.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.security.conftest import Tenant
from tests.support.server import SluiceServer

CSV = b"id,name\n1,alpha\n2,beta\n"
MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}}]
HIDDEN = "does not exist or this account may not use it"


def bucket_name(prefix: str) -> str:
    """A fresh, valid S3 bucket name."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def flow_name() -> str:
    return f"f-{uuid.uuid4().hex[:12]}"


def root(server: SluiceServer) -> Path:
    return server.data_dir / "s3"


def put(server: SluiceServer, bucket: str, key: str, body: bytes = CSV) -> None:
    path = root(server) / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def files(path: Path) -> list[str]:
    """Every regular file under `path` (not following links), relative, sorted."""
    found = []
    for folder, _dirs, names in os.walk(path):
        for name in names:
            full = Path(folder, name)
            if full.is_file() and not full.is_symlink():
                found.append(str(full.relative_to(path)))
    return sorted(found)


def cli(server: SluiceServer, *args: str) -> str:
    done = server.cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def s3_flow(name: str, source: str, destination: str, prefix: str = "in", out: str = "out") -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {
            "S3": {"bucketName": source, "bucketPrefix": prefix, "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": destination, "bucketPrefix": out, "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        "tasks": MAP_ALL,
    }


def run(tenant: Tenant, flow: str, timeout: float = 60) -> dict[str, Any]:
    """StartFlow and wait for the run to finish; its execution record."""
    client = tenant.client()
    execution_id = client.start_flow(flowName=flow)["executionId"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        for record in client.describe_flow_execution_records(flowName=flow)["flowExecutions"]:
            if record["executionId"] == execution_id and record["executionStatus"] not in ("InProgress",
                                                                                          "CancelStarted"):
                return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"run {execution_id} of {flow} did not finish in {timeout} s")


def error_of(call: Any, code: str) -> str:
    """The message of the modelled error `code` that `call()` raises."""
    with pytest.raises(Exception) as caught:
        call()
    response = caught.value.response  # type: ignore[attr-defined]
    assert response["Error"]["Code"] == code, response
    return str(response["Error"]["Message"])


def listed_buckets(tenant: Tenant) -> list[str]:
    entities = tenant.client().list_connector_entities(connectorType="S3")["connectorEntityMap"]
    return [entity["name"] for group in entities.values() for entity in group]


def rows_in(server: SluiceServer, bucket: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in files(root(server) / bucket):
        rows += pq.read_table(io.BytesIO((root(server) / bucket / key).read_bytes())).to_pylist()
    return rows


# -- ownership -------------------------------------------------------------------------------


def test_b_does_not_see_a_bucket_folders(secured_server: SluiceServer, tenant_a: Tenant, tenant_b: Tenant) -> None:
    mine = bucket_name("a-private")
    put(secured_server, mine, "in/orders.csv")
    assert mine in listed_buckets(tenant_a)
    assert mine not in listed_buckets(tenant_b)

    b = tenant_b.client()
    nowhere = bucket_name("never-made")
    # A's bucket and a name nobody uses answer alike, so B cannot tell which names exist.
    for call in (
        lambda name: b.list_connector_entities(connectorType="S3", entitiesPath=name),
        lambda name: b.describe_connector_entity(connectorType="S3", connectorEntityName=f"{name}/in"),
        lambda name: b.describe_connector_entity(connectorType="S3", connectorEntityName=f"{name}/in/orders.csv"),
    ):
        hidden = error_of(lambda call=call: call(mine), "ResourceNotFoundException")
        missing = error_of(lambda call=call: call(nowhere), "ResourceNotFoundException")
        assert HIDDEN in hidden
        assert hidden.replace(mine, "X") == missing.replace(nowhere, "X")
        assert str(secured_server.data_dir) not in hidden
    # A itself still sees its fields.
    fields = tenant_a.client().describe_connector_entity(connectorType="S3", connectorEntityName=f"{mine}/in")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "name"]


def test_b_cannot_create_a_flow_on_a_buckets(secured_server: SluiceServer, tenant_a: Tenant, tenant_b: Tenant) -> None:
    theirs = bucket_name("a-source")
    put(secured_server, theirs, "in/orders.csv")
    own = bucket_name("b-own")
    cli(secured_server, "buckets", "create", own, "--account", tenant_b.name)
    b = tenant_b.client()
    reading = error_of(lambda: b.create_flow(**s3_flow(flow_name(), theirs, own)), "ValidationException")
    assert f"sourceFlowConfig: the S3 bucket {theirs} {HIDDEN}" in reading
    writing = error_of(lambda: b.create_flow(**s3_flow(flow_name(), own, theirs)), "ValidationException")
    assert f"destinationFlowConfigList[0]: the S3 bucket {theirs} {HIDDEN}" in writing
    nowhere = bucket_name("never-made")
    missing = error_of(lambda: b.create_flow(**s3_flow(flow_name(), nowhere, own)), "ValidationException")
    assert missing.replace(nowhere, "X") == reading.replace(theirs, "X")
    # B's own bucket is B's to use; A (the default account) may not use it.
    put(secured_server, own, "in/mine.csv")
    b.create_flow(**s3_flow(flow_name(), own, own))
    a_reading = error_of(lambda: tenant_a.client().create_flow(**s3_flow(flow_name(), own, theirs)),
                         "ValidationException")
    assert f"the S3 bucket {own} {HIDDEN}" in a_reading


def test_runs_of_b_cannot_read_or_write_a_buckets(
    secured_server: SluiceServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """A flow B made while it held a grant stops working once the grant is revoked."""
    theirs = bucket_name("a-shared")
    put(secured_server, theirs, "in/orders.csv")
    own = bucket_name("b-home")
    cli(secured_server, "buckets", "create", own, "--account", tenant_b.account_id)  # by id
    put(secured_server, own, "in/mine.csv")
    cli(secured_server, "buckets", "grant", theirs, tenant_b.name)
    reader, writer = flow_name(), flow_name()
    b = tenant_b.client()
    b.create_flow(**s3_flow(reader, theirs, own))
    b.create_flow(**s3_flow(writer, own, theirs))
    cli(secured_server, "buckets", "revoke", theirs, tenant_b.name)

    record = run(tenant_b, reader)
    assert record["executionStatus"] == "Error"
    assert f"s3://{theirs}/ {HIDDEN}" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert files(root(secured_server) / own) == ["in/mine.csv"]

    before = files(root(secured_server) / theirs)
    record = run(tenant_b, writer)
    assert record["executionStatus"] == "Error"
    assert f"s3://{theirs}/ {HIDDEN}" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert files(root(secured_server) / theirs) == before


def test_grant_lets_b_use_a_bucket_and_revoke_takes_it_back(
    secured_server: SluiceServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    theirs, target = bucket_name("a-data"), bucket_name("a-lake")
    put(secured_server, theirs, "in/orders.csv")
    (root(secured_server) / target).mkdir(parents=True)
    assert theirs not in listed_buckets(tenant_b)  # cached for B now: the grant must clear it

    assert "may now use" in cli(secured_server, "buckets", "grant", theirs, tenant_b.name)
    cli(secured_server, "buckets", "grant", target, tenant_b.account_id)
    assert {theirs, target} <= set(listed_buckets(tenant_b))
    b = tenant_b.client()
    fields = b.describe_connector_entity(connectorType="S3", connectorEntityName=f"{theirs}/in")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "name"]
    flow = flow_name()
    b.create_flow(**s3_flow(flow, theirs, target))
    record = run(tenant_b, flow)
    assert record["executionStatus"] == "Successful", record
    assert sorted(row["id"] for row in rows_in(secured_server, target)) == ["1", "2"]
    listing = cli(secured_server, "buckets", "list")
    line = next(line for line in listing.splitlines() if line.startswith(theirs))
    assert "default (unrecorded)" in line and tenant_b.name in line

    cli(secured_server, "buckets", "revoke", theirs, tenant_b.name)
    assert theirs not in listed_buckets(tenant_b) and target in listed_buckets(tenant_b)
    assert HIDDEN in error_of(
        lambda: b.describe_connector_entity(connectorType="S3", connectorEntityName=f"{theirs}/in"),
        "ResourceNotFoundException",
    )
    assert run(tenant_b, flow)["executionStatus"] == "Error"
    revoked_again = secured_server.cli("buckets", "revoke", theirs, tenant_b.name)
    assert revoked_again.returncode == 1 and "no grant" in revoked_again.stderr


def test_the_single_user_layout_still_works(secured_server: SluiceServer, tenant_a: Tenant) -> None:
    """`mkdir .sluice/s3/raw`, drop CSV files, run a flow of the default account: as the README shows."""
    raw, lake = bucket_name("raw"), bucket_name("lake")
    put(secured_server, raw, "in/orders-1.csv")
    (root(secured_server) / lake).mkdir()
    flow = flow_name()
    tenant_a.client().create_flow(**s3_flow(flow, raw, lake))
    record = run(tenant_a, flow)
    assert record["executionStatus"] == "Successful", record
    assert sorted(row["id"] for row in rows_in(secured_server, lake)) == ["1", "2"]
    # The default account may also name a bucket that does not exist yet (the run then fails).
    tenant_a.client().create_flow(**s3_flow(flow_name(), raw, bucket_name("later")))


def test_buckets_cli_refuses_what_it_cannot_do(secured_server: SluiceServer, tenant_b: Tenant) -> None:
    for args, words in (
        (("buckets", "create", "Not_A_Bucket"), "not a valid S3 bucket name"),
        (("buckets", "create", bucket_name("x"), "--account", "nobody-here"), "no account named"),
        (("buckets", "grant", bucket_name("x"), "nobody-here"), "no account named"),
    ):
        done = secured_server.cli(*args)
        assert done.returncode == 1 and words in done.stderr, done.stderr
    taken = bucket_name("taken")
    cli(secured_server, "buckets", "create", taken, "--account", tenant_b.name)
    done = secured_server.cli("buckets", "create", taken)
    assert done.returncode == 1 and f"belongs to account {tenant_b.name}" in done.stderr
    done = secured_server.cli("buckets", "grant", taken, tenant_b.name)
    assert done.returncode == 1 and "owns bucket" in done.stderr
    assert (root(secured_server) / taken).is_dir()


# -- symlinks --------------------------------------------------------------------------------


@pytest.fixture
def linked_bucket(secured_server: SluiceServer, tmp_path: Path) -> tuple[str, Path]:
    """A default-account bucket whose `in/` holds one real CSV, a link to master.key and a link outside."""
    bucket = bucket_name("links")
    put(secured_server, bucket, "in/real.csv")
    master_key = secured_server.data_dir / "master.key"
    assert master_key.is_file()
    folder = root(secured_server) / bucket / "in"
    (folder / "a-key.csv").symlink_to(master_key)  # sorts first: the file a describe would pick
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(b"outside_secret_column\nvalue\n")
    (folder / "a-outside").symlink_to(outside, target_is_directory=True)
    return bucket, outside


def test_links_in_a_bucket_are_never_listed_read_or_described(
    secured_server: SluiceServer, tenant_a: Tenant, linked_bucket: tuple[str, Path]
) -> None:
    bucket, _outside = linked_bucket
    key = (secured_server.data_dir / "master.key").read_text().strip()
    a = tenant_a.client()
    page = a.list_connector_entities(connectorType="S3", entitiesPath=f"{bucket}/in")["connectorEntityMap"]
    assert [entity["name"] for group in page.values() for entity in group] == [f"{bucket}/in/real.csv"]
    fields = a.describe_connector_entity(connectorType="S3", connectorEntityName=f"{bucket}/in")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "name"]
    for entity in (f"{bucket}/in/a-key.csv", f"{bucket}/in/a-outside", f"{bucket}/in/a-outside/secret.csv"):
        message = error_of(lambda e=entity: a.describe_connector_entity(connectorType="S3", connectorEntityName=e),
                           "ResourceNotFoundException")
        assert key not in message and "outside_secret_column" not in message
    assert "a-outside" not in str(
        a.list_connector_entities(connectorType="S3", entitiesPath=bucket)["connectorEntityMap"])
    # A link is no folder: listing "under" it is listing an absent prefix, which S3 answers empty.
    empty = a.list_connector_entities(connectorType="S3", entitiesPath=f"{bucket}/in/a-outside")
    assert not any(empty["connectorEntityMap"].values())

    lake = bucket_name("links-out")
    (root(secured_server) / lake).mkdir()
    flow = flow_name()
    a.create_flow(**s3_flow(flow, bucket, lake))
    record = run(tenant_a, flow)
    assert record["executionStatus"] == "Successful", record
    rows = rows_in(secured_server, lake)
    assert sorted(rows[0]) == ["id", "name"] and sorted(row["id"] for row in rows) == ["1", "2"]
    assert key not in str(rows)


def test_a_linked_bucket_folder_is_refused(secured_server: SluiceServer, tenant_a: Tenant, tmp_path: Path) -> None:
    real = bucket_name("real")
    put(secured_server, real, "in/orders.csv")
    alias = bucket_name("alias")
    (root(secured_server) / alias).symlink_to(root(secured_server) / real, target_is_directory=True)
    a = tenant_a.client()
    assert real in listed_buckets(tenant_a) and alias not in listed_buckets(tenant_a)
    refused = secured_server.cli("buckets", "create", alias)
    assert refused.returncode == 1 and "is not a folder" in refused.stderr
    assert alias not in secured_server.cli("buckets", "list").stdout
    for call in (
        lambda: a.list_connector_entities(connectorType="S3", entitiesPath=alias),
        lambda: a.describe_connector_entity(connectorType="S3", connectorEntityName=f"{alias}/in"),
    ):
        assert HIDDEN in error_of(call, "ResourceNotFoundException")
    lake = bucket_name("lake")
    (root(secured_server) / lake).mkdir()
    reading = flow_name()
    a.create_flow(**s3_flow(reading, alias, lake))
    record = run(tenant_a, reading)
    assert record["executionStatus"] == "Error"
    assert HIDDEN in record["executionResult"]["errorInfo"]["executionMessage"]
    assert files(root(secured_server) / lake) == []

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    exported = bucket_name("exported")
    (root(secured_server) / exported).symlink_to(outside, target_is_directory=True)
    writing = flow_name()
    a.create_flow(**s3_flow(writing, real, exported))
    assert run(tenant_a, writing)["executionStatus"] == "Error"
    assert files(outside) == []


def test_linked_folders_inside_a_bucket_are_not_written_through(
    secured_server: SluiceServer, tenant_a: Tenant, tmp_path: Path
) -> None:
    source, lake = bucket_name("src"), bucket_name("lake")
    put(secured_server, source, "in/orders.csv")
    (root(secured_server) / lake).mkdir()
    a = tenant_a.client()
    for link in ("out", ".sluice-staging"):  # the published prefix, then the staging area
        outside = tmp_path / f"outside-{link.strip('.')}"
        outside.mkdir()
        target = root(secured_server) / lake / link
        target.symlink_to(outside, target_is_directory=True)
        flow = flow_name()
        a.create_flow(**s3_flow(flow, source, lake))
        record = run(tenant_a, flow)
        assert record["executionStatus"] == "Error", record
        assert files(outside) == [] and list(outside.iterdir()) == []
        assert files(root(secured_server) / lake) == []
        target.unlink()
