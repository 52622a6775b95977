"""sluice.store.buckets: who may use which local S3 bucket, and the admin records behind it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.store import accounts, buckets
from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.models import MetadataCacheEntry
from sluice.store.repository import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    postgres = request.param == "postgres"
    engine = open_engine(request.getfixturevalue("postgres").create_database() if postgres else sqlite_url(tmp_path))
    migrate(engine)
    try:
        yield Store(engine, SecretBox(b"k" * 32))
    finally:
        engine.dispose()


@pytest.fixture
def ids(store: Store) -> dict[str, str]:
    default, _ = accounts.ensure_default_account(store, None, None)
    other = accounts.create_account(store, "other")
    third = accounts.create_account(store, "third")
    return {"default": default.account_id, "other": other.account_id, "third": third.account_id}


def usable(store: Store, account_id: str, *names: str) -> set[str]:
    with store.admin() as session:
        return buckets.usable(session, account_id, names)


def test_unrecorded_buckets_are_the_default_accounts(store: Store, ids: dict[str, str]) -> None:
    assert usable(store, ids["default"], "raw", "lake") == {"raw", "lake"}
    assert usable(store, ids["other"], "raw", "lake") == set()


def test_owner_and_grantees_may_use_a_bucket(store: Store, ids: dict[str, str]) -> None:
    assert buckets.create_bucket(store, "team-data", "other") == ("other", True)
    assert buckets.create_bucket(store, "team-data", ids["other"]) == ("other", False)  # by id, again
    assert usable(store, ids["other"], "team-data") == {"team-data"}
    assert usable(store, ids["default"], "team-data") == set()  # recorded: no longer the default's
    assert buckets.grant(store, "team-data", "third") == "third"
    assert usable(store, ids["third"], "team-data", "raw") == {"team-data"}
    assert buckets.revoke(store, "team-data", "third") is True
    assert buckets.revoke(store, "team-data", "third") is False
    assert usable(store, ids["third"], "team-data") == set()
    # A grant on an unrecorded (default) bucket works too.
    buckets.grant(store, "raw", ids["other"])
    assert usable(store, ids["other"], "raw", "lake") == {"raw"}


def test_admin_refusals(store: Store, ids: dict[str, str]) -> None:
    buckets.create_bucket(store, "owned", "other")
    with pytest.raises(buckets.BucketError, match="belongs to account other"):
        buckets.create_bucket(store, "owned", "third")
    with pytest.raises(buckets.BucketError, match="owns bucket"):
        buckets.grant(store, "owned", "other")
    with pytest.raises(buckets.BucketError, match="owns bucket"):
        buckets.grant(store, "raw", "default")
    with pytest.raises(buckets.BucketError, match="no account named"):
        buckets.grant(store, "owned", "ghost")
    for bad in ("ab", "Upper", "under_score", "-dash", "a..b", "192.168.1.1", "x" * 64):
        with pytest.raises(buckets.BucketError, match="not a valid S3 bucket name"):
            buckets.create_bucket(store, bad, "other")


def test_a_deleted_accounts_buckets_pass_to_nobody(store: Store, ids: dict[str, str]) -> None:
    buckets.create_bucket(store, "leaving", "other")
    buckets.grant(store, "shared", "other")
    assert accounts.delete_account(store, "other")
    assert usable(store, ids["default"], "leaving") == set()
    assert [r.owner for r in buckets.records(store, []) if r.name == "leaving"] == [ids["other"]]
    assert all("other" not in r.grantees for r in buckets.records(store, ["shared"]))
    assert buckets.create_bucket(store, "leaving", "third") == ("third", True)  # re-homed
    assert usable(store, ids["third"], "leaving") == {"leaving"}


def test_changes_drop_cached_s3_metadata(store: Store, ids: dict[str, str]) -> None:
    with store.scoped(ids["other"], "us-east-1") as tx:
        for key in ("S3", "Salesforce"):
            tx.add(MetadataCacheEntry(connector_key=key, profile_name="", kind="list", entity="", page="|",
                                      payload={}, fetched_at=0.0))
    buckets.grant(store, "raw", "other")
    with store.scoped(ids["other"], "us-east-1") as tx:
        assert tx.cached_metadata("S3", "", "list", "", "|") is None
        assert tx.cached_metadata("Salesforce", "", "list", "", "|") is not None


def test_access_remembers_answers_and_scoped_repository_agrees(store: Store, ids: dict[str, str]) -> None:
    access = buckets.BucketAccess(store, ids["other"])
    assert access.allowed(["raw"]) == set()
    buckets.grant(store, "raw", "other")
    assert access.allowed(["raw"]) == set()  # one access object serves one call or run
    assert buckets.BucketAccess(store, ids["other"]).allowed(["raw", "lake"]) == {"raw"}
    with store.scoped(ids["other"], "eu-west-1") as tx:
        assert tx.usable_buckets(["raw", "lake"]) == {"raw"}


def test_records_list_folders_and_rows(store: Store, ids: dict[str, str]) -> None:
    buckets.create_bucket(store, "team", "other")
    buckets.grant(store, "team", "third")
    rows = {r.name: r for r in buckets.records(store, ["raw", "team"])}
    assert rows["raw"] == buckets.BucketRecord("raw", "default", False, ())
    assert rows["team"] == buckets.BucketRecord("team", "other", True, ("third",))
