"""The store's API: a transaction scoped to one account and region (store layer).

`Store.scoped(account_id, region)` opens a transaction and hands back `Scoped`, whose every
query is already filtered by `(account_id, region)`; service code never writes that filter
itself, so it cannot forget it. Pagination is keyset-based on the rows' integer ids, which is
what keeps `nextToken`s stable while other requests insert rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sluice.store import run_events
from sluice.store.crypto import SecretBox
from sluice.store.models import (
    ClientToken,
    ConnectorProfile,
    ConnectorRegistration,
    ExecutionRecord,
    Flow,
    MetadataCacheEntry,
    ServerSetting,
)

Row = TypeVar("Row", ConnectorProfile, Flow, ExecutionRecord, ConnectorRegistration)


def _by_name(model: type[Row], column: str) -> Select[Row]:
    """A prebuilt `account, region, <column>` lookup: built once, so each call only binds values."""
    return select(model).where(
        model.account_id == bindparam("account"),
        model.region == bindparam("region"),
        getattr(model, column) == bindparam("key"),
    )


FLOW_SUMMARY_COLUMNS = (
    "id", "arn", "description", "name", "status", "source_type", "source_label", "destination_types",
    "destination_label", "trigger_type", "created_at", "last_updated_at", "created_by", "last_updated_by",
    "tags", "last_run",
)

_FLOW_SUMMARIES = (
    select(*(getattr(Flow, c) for c in FLOW_SUMMARY_COLUMNS))
    .where(Flow.account_id == bindparam("account"), Flow.region == bindparam("region"), Flow.id > bindparam("after"))
    .order_by(Flow.id)
    .limit(bindparam("limit"))
)

# DescribeFlow and friends are the hottest reads; building the statement costs more than running it.
_FLOW_BY_NAME = _by_name(Flow, "name")
_FLOW_BY_ARN = _by_name(Flow, "arn")
_PROFILE_BY_NAME = _by_name(ConnectorProfile, "name")


class DuplicateError(Exception):
    """A row with the same unique key already exists (e.g. a concurrent create won)."""


class Scoped:
    """Queries and writes for one account and region, inside one transaction."""

    def __init__(self, session: Session, account_id: str, region: str) -> None:
        self.session = session
        self.account_id = account_id
        self.region = region

    # -- generic helpers -------------------------------------------------------------------
    def _select(self, model: type[Row]) -> Select[Row]:
        return select(model).where(model.account_id == self.account_id, model.region == self.region)

    def _page(
        self, stmt: Select[Row], model: type[Row], after_id: int | None, limit: int, newest_first: bool
    ) -> tuple[list[Row], int | None]:
        """Rows after the keyset cursor `after_id`, and the cursor for the next page (or None)."""
        if after_id is not None:
            stmt = stmt.where(model.id < after_id if newest_first else model.id > after_id)
        stmt = stmt.order_by(model.id.desc() if newest_first else model.id.asc()).limit(limit + 1)
        rows = list(self.session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    def add(self, row: object) -> None:
        """Insert `row`; a unique-key clash raises `DuplicateError`."""
        row.account_id = self.account_id  # type: ignore[attr-defined]
        row.region = self.region  # type: ignore[attr-defined]
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise DuplicateError(str(exc.orig)) from exc

    def delete(self, row: object) -> None:
        """Delete `row`."""
        self.session.delete(row)
        self.session.flush()

    # -- connector profiles ----------------------------------------------------------------
    def _one(self, stmt: Select[Row], key: str) -> Row | None:
        return self.session.scalar(stmt, {"account": self.account_id, "region": self.region, "key": key})

    def profile(self, name: str) -> ConnectorProfile | None:
        """The profile called `name`."""
        return self._one(_PROFILE_BY_NAME, name)

    def profiles(
        self,
        names: Sequence[str] | None,
        connector_type: str | None,
        label: str | None,
        after_id: int | None,
        limit: int,
    ) -> tuple[list[ConnectorProfile], int | None]:
        """A page of profiles matching the filters, oldest first."""
        stmt = self._select(ConnectorProfile)
        if names:
            stmt = stmt.where(ConnectorProfile.name.in_(list(names)))
        if connector_type:
            stmt = stmt.where(ConnectorProfile.connector_type == connector_type)
        if label:
            stmt = stmt.where(ConnectorProfile.connector_label == label)
        return self._page(stmt, ConnectorProfile, after_id, limit, newest_first=False)

    def count_profiles(self) -> int:
        """How many profiles the account has in this region."""
        stmt = select(func.count()).select_from(ConnectorProfile).where(
            ConnectorProfile.account_id == self.account_id, ConnectorProfile.region == self.region
        )
        return int(self.session.scalar(stmt) or 0)

    # -- flows -----------------------------------------------------------------------------
    def flow(self, name: str) -> Flow | None:
        """The flow called `name`."""
        return self._one(_FLOW_BY_NAME, name)

    def flow_by_arn(self, arn: str) -> Flow | None:
        """The flow whose ARN is `arn`."""
        return self._one(_FLOW_BY_ARN, arn)

    def flow_summaries(self, after_id: int | None, limit: int) -> tuple[list[Any], int | None]:
        """A page of flows as plain rows of the `FlowDefinition` columns, oldest first.

        ListFlows is hot and never shows a flow's configuration, so it skips the ORM and the
        bulky JSON columns.
        """
        params = {"account": self.account_id, "region": self.region, "after": after_id or 0, "limit": limit + 1}
        rows = list(self.session.execute(_FLOW_SUMMARIES, params))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    def all_flows(self) -> list[Flow]:
        """Every flow (used to find flows that reference a profile or connector)."""
        return list(self.session.scalars(self._select(Flow).order_by(Flow.id)))

    def count_flows(self) -> int:
        """How many flows the account has in this region."""
        stmt = select(func.count()).select_from(Flow).where(
            Flow.account_id == self.account_id, Flow.region == self.region
        )
        return int(self.session.scalar(stmt) or 0)

    # -- execution records -----------------------------------------------------------------
    def executions(self, flow: Flow, after_id: int | None, limit: int) -> tuple[list[ExecutionRecord], int | None]:
        """A page of the flow's execution records, newest first."""
        stmt = self._select(ExecutionRecord).where(ExecutionRecord.flow_id == flow.id)
        return self._page(stmt, ExecutionRecord, after_id, limit, newest_first=True)

    def newest_execution(self, flow: Flow) -> ExecutionRecord | None:
        """The flow's most recent execution record, if it ever ran."""
        stmt = self._select(ExecutionRecord).where(ExecutionRecord.flow_id == flow.id)
        return self.session.scalar(stmt.order_by(ExecutionRecord.id.desc()).limit(1))

    def executions_by_id(self, flow: Flow, execution_ids: Sequence[str]) -> list[ExecutionRecord]:
        """The flow's execution records with the given ids."""
        stmt = self._select(ExecutionRecord).where(
            ExecutionRecord.flow_id == flow.id, ExecutionRecord.execution_id.in_(list(execution_ids))
        )
        return list(self.session.scalars(stmt))

    def executions_in_status(self, flow: Flow, statuses: Sequence[str]) -> list[ExecutionRecord]:
        """The flow's execution records whose status is one of `statuses`."""
        stmt = self._select(ExecutionRecord).where(
            ExecutionRecord.flow_id == flow.id, ExecutionRecord.status.in_(list(statuses))
        )
        return list(self.session.scalars(stmt.order_by(ExecutionRecord.id)))

    def run_events(self, record: ExecutionRecord, after: int, limit: int) -> list[run_events.Event]:
        """Up to `limit` of the run's stored events after seq `after` (the record is this scope's)."""
        if record.account_id != self.account_id or record.region != self.region:
            return []
        return run_events.read(self.session, record.id, after, limit)

    # -- custom connector registrations ----------------------------------------------------
    def registration(self, label: str) -> ConnectorRegistration | None:
        """The registration with connector label `label`."""
        return self.session.scalar(
            self._select(ConnectorRegistration).where(ConnectorRegistration.label == label)
        )

    def registrations(self, after_id: int | None, limit: int) -> tuple[list[ConnectorRegistration], int | None]:
        """A page of registrations, oldest first."""
        return self._page(
            self._select(ConnectorRegistration), ConnectorRegistration, after_id, limit, newest_first=False
        )

    # -- idempotency tokens ----------------------------------------------------------------
    def client_token(self, operation: str, token: str, not_before: float) -> ClientToken | None:
        """The live (created at or after `not_before`) record of `token` for `operation`."""
        stmt = select(ClientToken).where(
            ClientToken.account_id == self.account_id,
            ClientToken.region == self.region,
            ClientToken.operation == operation,
            ClientToken.token == token,
        )
        row = self.session.scalar(stmt)
        if row is not None and row.created_at < not_before:
            self.session.delete(row)
            self.session.flush()
            return None
        return row

    def purge_client_tokens(self, not_before: float) -> None:
        """Forget every token created before `not_before`."""
        self.session.execute(
            delete(ClientToken).where(
                ClientToken.account_id == self.account_id,
                ClientToken.region == self.region,
                ClientToken.created_at < not_before,
            )
        )

    # -- local S3 buckets ------------------------------------------------------------------
    def usable_buckets(self, names: Sequence[str]) -> set[str]:
        """The local S3 buckets among `names` this account may use (`sluice.store.buckets.usable`)."""
        from sluice.store.buckets import usable  # buckets imports this module

        return usable(self.session, self.account_id, names)

    # -- connector metadata cache ----------------------------------------------------------
    def cached_metadata(
        self, connector_key: str, profile_name: str, kind: str, entity: str, page: str
    ) -> MetadataCacheEntry | None:
        """A cached metadata answer, if any."""
        stmt = select(MetadataCacheEntry).where(
            MetadataCacheEntry.account_id == self.account_id,
            MetadataCacheEntry.region == self.region,
            MetadataCacheEntry.connector_key == connector_key,
            MetadataCacheEntry.profile_name == profile_name,
            MetadataCacheEntry.kind == kind,
            MetadataCacheEntry.entity == entity,
            MetadataCacheEntry.page == page,
        )
        return self.session.scalar(stmt)

    def clear_metadata(
        self, connector_key: str | None, profile_name: str | None, entity: str | None
    ) -> int:
        """Drop cached metadata matching the filters; returns how many entries went."""
        stmt = delete(MetadataCacheEntry).where(
            MetadataCacheEntry.account_id == self.account_id, MetadataCacheEntry.region == self.region
        )
        if connector_key is not None:
            stmt = stmt.where(MetadataCacheEntry.connector_key == connector_key)
        if profile_name is not None:
            stmt = stmt.where(MetadataCacheEntry.profile_name == profile_name)
        if entity is not None:
            stmt = stmt.where(MetadataCacheEntry.entity.startswith(entity, autoescape=True))
        return int(self.session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


class Store:
    """The database plus the secret box; hands out scoped transactions."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def scoped(self, account_id: str, region: str) -> Iterator[Scoped]:
        """A transaction limited to one account and region; commits when the block succeeds."""
        with self._sessions.begin() as session:
            yield Scoped(session, account_id, region)

    @contextmanager
    def admin(self) -> Iterator[Session]:
        """An unscoped transaction, for admin commands and the run executor only."""
        with self._sessions.begin() as session:
            yield session

    def save_credentials(self, account_id: str, region: str, name: str, credentials: Any) -> bool:
        """Seal new credentials into a profile (e.g. a refreshed token); False if it is gone."""
        with self._sessions.begin() as session:
            profile = session.scalars(
                select(ConnectorProfile).where(
                    ConnectorProfile.account_id == account_id,
                    ConnectorProfile.region == region,
                    ConnectorProfile.name == name,
                )
            ).one_or_none()
            if profile is None:
                return False
            profile.credentials_enc = self.box.seal_json(credentials, profile.arn)
            return True

    def setting(self, key: str, default_factory: Any = lambda: os.urandom(32)) -> bytes:
        """A persistent server setting, created on first use (the first writer wins a race)."""
        with self._sessions.begin() as session:
            row = session.get(ServerSetting, key)
            if row is not None:
                return row.value
        try:
            with self._sessions.begin() as session:
                value: bytes = default_factory()
                session.add(ServerSetting(key=key, value=value))
            return value
        except IntegrityError:
            with self._sessions.begin() as session:
                stored = session.get(ServerSetting, key)
                assert stored is not None
                return stored.value
