"""`sluice.service.idempotency`: a clientToken is remembered for 8 hours, then forgotten."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sluice.service import idempotency
from sluice.service.context import Caller
from sluice.service.errors import ConflictException
from sluice.store.crypto import SecretBox
from sluice.store.db import migrate, open_engine, sqlite_url
from sluice.store.models import ClientToken
from sluice.store.repository import Store

START = 1_700_000_000.0
HOURS = 3600
CALLER = Caller("123456789012", "us-east-1", "arn:aws:iam::123456789012:root")


class Clock:
    """The time `idempotency.now` returns; tests move it."""

    def __init__(self) -> None:
        self.value = START

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(idempotency, "now", fake)
    return fake


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    engine = open_engine(sqlite_url(tmp_path))
    migrate(engine)
    yield Store(engine, SecretBox(os.urandom(32)))
    engine.dispose()


def counting_call() -> tuple[list[int], Callable[[], dict[str, Any]]]:
    calls: list[int] = []

    def call() -> dict[str, Any]:
        calls.append(1)
        return {"executionId": f"run-{len(calls)}"}

    return calls, call


def run(store: Store, params: dict[str, Any], call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    with store.scoped("123456789012", "us-east-1") as tx:
        return idempotency.run_once(tx, "StartFlow", params, call)


def test_same_token_within_eight_hours_answers_the_first_response(store: Store, clock: Clock) -> None:
    calls, call = counting_call()
    params = {"flowName": "f", "clientToken": "t-1"}
    assert run(store, params, call) == {"executionId": "run-1"}
    clock.value = START + 8 * HOURS - 1
    assert run(store, params, call) == {"executionId": "run-1"}
    assert len(calls) == 1


def test_same_token_different_parameters_conflicts_while_alive(store: Store, clock: Clock) -> None:
    _, call = counting_call()
    run(store, {"flowName": "f", "clientToken": "t-1"}, call)
    clock.value = START + 7 * HOURS
    with pytest.raises(ConflictException, match="t-1"):
        run(store, {"flowName": "g", "clientToken": "t-1"}, call)


def test_token_is_forgotten_after_eight_hours(store: Store, clock: Clock) -> None:
    calls, call = counting_call()
    run(store, {"flowName": "f", "clientToken": "t-1"}, call)
    clock.value = START + 8 * HOURS + 1
    assert run(store, {"flowName": "f", "clientToken": "t-1"}, call) == {"executionId": "run-2"}
    clock.value += 1
    # The renewed token now holds the second call; other parameters conflict again.
    assert run(store, {"flowName": "f", "clientToken": "t-1"}, call) == {"executionId": "run-2"}
    with pytest.raises(ConflictException):
        run(store, {"flowName": "g", "clientToken": "t-1"}, call)
    assert len(calls) == 2


def test_expired_token_with_new_parameters_is_a_new_request(store: Store, clock: Clock) -> None:
    calls, call = counting_call()
    run(store, {"flowName": "f", "clientToken": "t-1"}, call)
    clock.value = START + 9 * HOURS
    assert run(store, {"flowName": "g", "clientToken": "t-1"}, call) == {"executionId": "run-2"}
    assert len(calls) == 2


def test_without_a_token_every_call_runs(store: Store, clock: Clock) -> None:
    calls, call = counting_call()
    run(store, {"flowName": "f"}, call)
    run(store, {"flowName": "f"}, call)
    assert len(calls) == 2


def test_fingerprint_ignores_the_token_and_key_order() -> None:
    assert idempotency.fingerprint({"a": 1, "b": [1, 2], "clientToken": "x"}) == idempotency.fingerprint(
        {"b": [1, 2], "a": 1, "clientToken": "y"}
    )
    assert idempotency.fingerprint({"a": 1}) != idempotency.fingerprint({"a": 2})


def test_once_lets_the_loser_of_a_token_race_answer_as_a_repeat(store: Store, clock: Clock) -> None:
    params = {"flowName": "f", "clientToken": "t-race"}

    def racing_call(tx: Any) -> dict[str, Any]:
        # Another request with the same token commits first, while this one is running.
        with store.scoped(CALLER.account_id, CALLER.region) as other:
            other.add(ClientToken(operation="StartFlow", token="t-race", fingerprint=idempotency.fingerprint(params),
                                  response={"executionId": "winner"}, created_at=clock()))
        return {"executionId": "loser"}

    assert idempotency.once(store, CALLER, "StartFlow", params, racing_call) == {"executionId": "winner"}
    with pytest.raises(ConflictException):
        idempotency.once(store, CALLER, "StartFlow", {"flowName": "g", "clientToken": "t-race"}, racing_call)


def test_once_keeps_a_failure_that_no_racing_token_explains(store: Store, clock: Clock) -> None:

    def clash(tx: Any) -> dict[str, Any]:
        raise ConflictException("A flow named f already exists.")

    with pytest.raises(ConflictException, match="already exists"):
        idempotency.once(store, CALLER, "CreateFlow", {"flowName": "f", "clientToken": "t-new"}, clash)
    with pytest.raises(ConflictException, match="already exists"):
        idempotency.once(store, CALLER, "CreateFlow", {"flowName": "f"}, clash)
