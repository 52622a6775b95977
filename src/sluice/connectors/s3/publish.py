"""Publishing a run's staged S3 files from a manifest, and undoing it (connectors layer).

`publish` is the last step of `S3Destination.commit()`: it builds the manifest - the bucket, the
run's staging prefix and every final key - and hands it to the run's `before_publish` (the
engine writes it into the execution record and returns once it is durable), and only then moves
each staged file into place (local: `os.replace`; S3: copy, then delete) and drops the staging
prefix. A process killed anywhere in between leaves a manifest naming every key that may be
visible; `rollback_publication(manifest, data_dir)` (`SPEC.rollback_destination`, called by
`engine/recovery.py`) deletes them all, and the staging prefix, so readers see all of a run or
none of it. Final keys carry the execution id, so a rollback never removes another run's object.

`SLUICE_TEST_PUBLISH_DELAY_MS` (a test hook, unset in production) sleeps that long before each
move, so a test can kill the server mid-publish.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ConnectorError
from sluice.connectors.s3.storage import Storage, open_storage
from sluice.settings import current

STAGING_DIR = ".sluice-staging"
MANIFEST_FORMAT = 1


def manifest(bucket: str, staging: str, keys: list[str]) -> dict[str, Any]:
    """What a run is about to publish into `bucket`: its staging prefix and the final keys."""
    return {"format": MANIFEST_FORMAT, "bucket": bucket, "staging": staging, "keys": keys}


def _test_delay() -> float:
    return current().s3.publish_delay_ms / 1000


def publish(
    storage: Storage,
    bucket: str,
    staging: str,
    moves: list[tuple[str, str]],
    before_publish: Callable[[Mapping[str, Any]], None] | None,
    published: Callable[[str], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Record the manifest, then move each staged key (under `staging`) to its final key.

    `moves` is (staged key, final key) pairs; `published(key)` is told each final key once it is
    visible, so `abort()` can undo a failed commit. `should_stop()` is asked before each move: a
    run canceled, or taken over by another server, stops publishing and is rolled back.
    """
    if before_publish is not None and moves:
        before_publish(manifest(bucket, staging, [target for _, target in moves]))
    delay = _test_delay()
    for source, target in moves:
        if should_stop():
            raise ConnectorError("ServerError", "publishing stopped: the run was canceled or taken over")
        if delay:
            time.sleep(delay)
        storage.move(bucket, source, target)
        published(target)
    storage.delete_prefix(bucket, staging)


def rollback_publication(saved: Mapping[str, Any], data_dir: str, aws: AwsIdentity | None = None) -> None:
    """Delete every key a manifest lists, and its staging prefix; what is gone already is fine.

    `aws`: the run's account's AWS identity (real S3 signs as it; the local store needs none).
    """
    bucket = saved.get("bucket")
    staging = str(saved.get("staging") or "")
    keys = [str(key) for key in saved.get("keys") or []]
    if not bucket:
        return
    storage = open_storage(data_dir, aws)
    try:
        with storage.errors(storage.location(str(bucket))):
            storage.delete_many(str(bucket), keys)
            if staging.startswith(f"{STAGING_DIR}/") and staging.endswith("/"):
                storage.delete_prefix(str(bucket), staging)
    except ConnectorError as exc:
        if exc.code != "ResourceNotFound":  # the bucket itself is gone: nothing left to hide
            raise
