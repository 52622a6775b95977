"""What a run is asked to do (engine layer): the `RunRequest` a worker builds when it claims a run.

Its own module so that the run's stages (`runner.py`) and what they call (`catalog.py`) can both
name it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import BucketPolicy, ProfileView


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Everything a run needs, read from the store when a worker claims it."""

    account_id: str
    region: str
    execution_id: str
    flow_name: str
    schema_version: int
    config: Mapping[str, Any]
    source_profile: ProfileView
    destination_profiles: tuple[ProfileView, ...]
    started_at: float
    data_dir: str
    batch_size: int = 65_536
    # The incremental window of a scheduled run, (window_start, window_end]; None for complete pulls.
    window_start: float | None = None
    window_end: float | None = None
    # An Event flow's run reads the change events spooled to this file instead of the source.
    event_batch: str | None = None
    # The account's AWS identity (S3 backend, error buckets, Glue); None only in unit tests.
    aws: AwsIdentity | None = None
    # The local S3 buckets the flow's account may use (None: the whole store, outside the server).
    buckets: BucketPolicy | None = None
