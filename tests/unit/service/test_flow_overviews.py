"""`sluice.service.flow_overviews`: the console's flows list, its search and filters, scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.api.runtime import Runtime
from sluice.service.context import Caller
from sluice.service.errors import ResourceNotFoundException
from tests.integration.builders import s3_destination, s3_flow, s3_source, scheduled
from tests.support.stores import local_runtime


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with local_runtime(tmp_path) as opened:
        for bucket in ("sluice-source", "sluice-destination", "archive"):
            (tmp_path / "s3" / bucket).mkdir(parents=True)
        yield opened


@pytest.fixture
def caller(runtime: Runtime) -> Caller:
    account = runtime.default_keys.account_id
    return Caller(account, "us-east-1", f"arn:aws:iam::{account}:root")


def make(runtime: Runtime, caller: Caller, name: str, **overrides: Any) -> None:
    runtime.services.flows.create_flow(caller, s3_flow(name, **overrides))


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["flowName"] for row in rows]


def test_rows_say_where_a_flow_reads_writes_and_when_it_fires(runtime, caller):
    make(runtime, caller, "copy", destinationFlowConfigList=[s3_destination("archive", "daily/")])
    make(runtime, caller, "hourly", triggerConfig=scheduled("rate(1hours)"))
    runtime.services.flows.start_flow(caller, {"flowName": "hourly"})
    overviews = runtime.services.flow_overviews
    copy, hourly = overviews.list_flow_overviews(caller)
    assert (copy["source"], copy["destination"]) == ("S3 sluice-source/in", "S3 archive/daily")
    assert copy["nextFireAt"] is None and copy["schedule"] is None and copy["flowStatus"] == "Active"
    assert hourly["schedule"] == "rate(1hours)" and hourly["nextFireAt"] > 0
    assert overviews.flow_overview(caller, "hourly")["nextFireAt"] == hourly["nextFireAt"]


def test_search_matches_every_word_in_name_description_route_and_tags(runtime, caller):
    make(runtime, caller, "orders", description="Big orders", tags={"team": "sales"})
    make(runtime, caller, "refunds", sourceFlowConfig=s3_source("sluice-source", "refunds"))
    search = runtime.services.flow_overviews.list_flow_overviews
    assert names(search(caller, "ORDERS")) == ["orders"]
    assert names(search(caller, "big team=sales")) == ["orders"]
    assert names(search(caller, "sluice-source/refunds")) == ["refunds"]
    assert names(search(caller, "big refunds")) == []
    assert names(search(caller, "")) == ["orders", "refunds"]


def test_filters_by_status_and_trigger(runtime, caller):
    make(runtime, caller, "now")
    make(runtime, caller, "later", triggerConfig=scheduled())
    search = runtime.services.flow_overviews.list_flow_overviews
    assert names(search(caller, status="Draft")) == ["later"]
    assert names(search(caller, trigger_type="OnDemand")) == ["now"]
    assert names(search(caller, status="Active", trigger_type="Scheduled")) == []


def test_another_account_or_region_sees_none_of_them(runtime, caller):
    make(runtime, caller, "mine")
    overviews = runtime.services.flow_overviews
    stranger = Caller("210987654321", "us-east-1", "arn:aws:iam::210987654321:root")
    elsewhere = Caller(caller.account_id, "eu-west-1", caller.caller_arn)
    for other in (stranger, elsewhere):
        assert overviews.list_flow_overviews(other) == []
        with pytest.raises(ResourceNotFoundException):
            overviews.flow_overview(other, "mine")
