"""`accounts.sweep_orphans`: what a request wrote just after its account was deleted is removed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sluice.api.runtime import Runtime
from sluice.service.context import Caller
from sluice.store import accounts
from sluice.store.models import Flow
from tests.integration.builders import s3_flow
from tests.support.stores import local_runtime


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with local_runtime(tmp_path) as opened:
        yield opened


def flows_of(rt: Runtime, account_id: str) -> int:
    with rt.store.admin() as session:
        return int(session.scalar(select(func.count()).select_from(Flow).where(Flow.account_id == account_id)) or 0)


def test_a_write_that_raced_the_deletion_is_swept_and_others_are_kept(runtime: Runtime) -> None:
    keep = runtime.default_keys.account_id
    doomed = accounts.create_account(runtime.store, "doomed").account_id
    runtime.services.flows.create_flow(Caller(keep, "us-east-1", f"arn:aws:iam::{keep}:root"), s3_flow("kept"))
    assert accounts.delete_account(runtime.store, "doomed")
    # A request authenticated just before the delete committed, writing just after it: the row
    # it leaves is the kept flow's twin under the deleted account.
    with runtime.store.admin() as session:
        kept = session.scalars(select(Flow).where(Flow.account_id == keep)).one()
        columns = {c.key: getattr(kept, c.key) for c in Flow.__mapper__.column_attrs if c.key != "id"}
        session.add(Flow(**{**columns, "account_id": doomed, "name": "late", "arn": f"{kept.arn}-late"}))
    assert flows_of(runtime, doomed) == 1

    assert accounts.sweep_orphans(runtime.store) == 1
    assert flows_of(runtime, doomed) == 0 and flows_of(runtime, keep) == 1
    assert accounts.sweep_orphans(runtime.store) == 0
