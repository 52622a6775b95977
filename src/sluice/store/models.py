"""SQLAlchemy 2 ORM models (store layer).

Every resource row carries `(account_id, region)` first in its unique key, so a repository
scoped to one account and region (see `repository.Scoped`) can never see another's rows.
Timestamps are epoch seconds (`Float`) so SQLite and PostgreSQL store them identically;
structured AppFlow members are JSON columns holding exactly the model's shapes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base for all Sluice tables."""


class Account(Base):
    """A tenant: its 12-digit id and the access key pair that signs its requests."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    access_key_id: Mapped[str] = mapped_column(String(128), unique=True)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)


class ConnectorProfile(Base):
    """An AppFlow connector profile; `credentials_enc` is AES-GCM ciphertext, never returned."""

    __tablename__ = "connector_profiles"
    __table_args__ = (UniqueConstraint("account_id", "region", "name", name="uq_profile_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    arn: Mapped[str] = mapped_column(String(512))
    connector_type: Mapped[str] = mapped_column(String(64))
    connector_label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    connection_mode: Mapped[str] = mapped_column(String(16))
    credentials_arn: Mapped[str] = mapped_column(String(512))
    kms_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    credentials_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_updated_at: Mapped[float] = mapped_column(Float)


class Flow(Base):
    """An AppFlow flow: its configuration as model-shaped JSON plus status and bookkeeping."""

    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("account_id", "region", "name", name="uq_flow_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    arn: Mapped[str] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    kms_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_type: Mapped[str] = mapped_column(String(64))
    source_profile: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Custom connector labels of the source and first destination (ListFlows' FlowDefinition).
    source_label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    destination_label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    destination_types: Mapped[list[str]] = mapped_column(JSON)
    destination_profiles: Mapped[list[str]] = mapped_column(JSON)
    trigger_type: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    schema_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(512))
    last_updated_at: Mapped[float] = mapped_column(Float)
    last_updated_by: Mapped[str] = mapped_column(String(512))
    last_run: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Scheduler state, all derived from stored rows so a restart loses nothing:
    # when the next slot fires (NULL = not scheduled), the incremental watermark (the window end
    # of the last successful scheduled run) and the current run of failures.
    next_fire_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    activated_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    watermark: Mapped[float | None] = mapped_column(Float, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Event flows: the replay id of the last change event already turned into a run, and which
    # server process holds the subscription until when (a lease others take over when it lapses).
    event_cursor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    event_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    event_lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class ExecutionRecord(Base):
    """One run of a flow, with AppFlow's `ExecutionRecord` members."""

    __tablename__ = "execution_records"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "execution_id", name="uq_execution_id"),
        Index("ix_execution_flow", "flow_id", "id"),
        Index("ix_execution_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    execution_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[float] = mapped_column(Float)
    last_updated_at: Mapped[float] = mapped_column(Float)
    data_pull_start_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    data_pull_end_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    metadata_catalog_details: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # The server process (its random node id) holding the run's lease; NULL while the run is
    # queued. The lease lapses at `lease_expires_at` unless the owner renews it (engine/leases.py).
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # The schedule slot a scheduled run was started for (NULL for on-demand runs).
    scheduled_for: Mapped[float | None] = mapped_column(Float, nullable=True)
    # An event run's spooled change events (a JSON-lines file under the data dir).
    event_batch: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # What the run is publishing, per destination index: {"connectorType", "label", "manifest"},
    # written before anything becomes visible and cleared when the run is recorded, so a run
    # killed mid-publish can be rolled back (engine/recovery.py).
    publications: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Per-stage counts (source, each task, each destination), written with the live progress:
    # the `sluiceRunDetails` extension (engine/run_details.py).
    run_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunEvent(Base):
    """One line of a run's bounded log (store/run_events.py keeps its first and last events)."""

    __tablename__ = "run_events"
    __table_args__ = (UniqueConstraint("record_id", "seq", name="uq_run_event_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("execution_records.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    time: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)


class ConnectorRegistration(Base):
    """A registered custom connector (`RegisterConnector`)."""

    __tablename__ = "connector_registrations"
    __table_args__ = (UniqueConstraint("account_id", "region", "label", name="uq_registration_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(256))
    arn: Mapped[str] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    provisioning_type: Mapped[str] = mapped_column(String(16))
    provisioning_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON)
    registered_at: Mapped[float] = mapped_column(Float)
    registered_by: Mapped[str] = mapped_column(String(512))


class ClientToken(Base):
    """An idempotency token: the request's fingerprint and the first call's response."""

    __tablename__ = "client_tokens"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "operation", "token", name="uq_client_token"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(256))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class MetadataCacheEntry(Base):
    """A cached connector metadata answer (`ListConnectorEntities` / `DescribeConnectorEntity`)."""

    __tablename__ = "metadata_cache"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "region", "connector_key", "profile_name", "kind", "entity", "page",
            name="uq_metadata_cache",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    connector_key: Mapped[str] = mapped_column(String(256))
    profile_name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(1024))
    page: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[float] = mapped_column(Float)


class ServerSetting(Base):
    """Small server-wide values that must survive restarts (e.g. the pagination-token key)."""

    __tablename__ = "server_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class Bucket(Base):
    """A bucket of the embedded (`local`) S3 store and the account that owns it.

    Bucket names are global, as in S3, so the key is the name alone. A bucket folder with no row
    belongs to the default account (the single-user layout: `mkdir <data dir>/s3/raw`).
    `sluice.store.buckets` holds the rule; rows are written only by `sluice buckets`.
    """

    __tablename__ = "s3_buckets"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner_account_id: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[float] = mapped_column(Float)


class BucketGrant(Base):
    """Another account's permission to use a local bucket (read its objects and write new ones)."""

    __tablename__ = "s3_bucket_grants"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)
    granted_at: Mapped[float] = mapped_column(Float)


class Webhook(Base):
    """A URL that receives every ended run's report of one account (`sluice webhooks`).

    The signing secret is sealed with the store's key, like account secrets.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)
