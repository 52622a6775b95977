"""nextTokens: opaque, bound to account, region, operation and filters, tamper-proof."""

from __future__ import annotations

import pytest

from sluice.service.context import Caller
from sluice.service.errors import ValidationException
from sluice.service.pagination import Paginator

ALICE = Caller("111111111111", "us-east-1", "arn:aws:iam::111111111111:root")
BOB = Caller("222222222222", "us-east-1", "arn:aws:iam::222222222222:root")


def test_round_trip_and_last_page() -> None:
    paginator = Paginator(b"k" * 32)
    token = paginator.mint(ALICE, "ListFlows", 42)
    assert token is not None and "42" not in token
    assert paginator.read(ALICE, "ListFlows", token) == 42
    assert paginator.mint(ALICE, "ListFlows", None) is None
    assert paginator.read(ALICE, "ListFlows", None) is None


@pytest.mark.parametrize(
    "misuse",
    [
        lambda p, t: p.read(BOB, "ListFlows", t),
        lambda p, t: p.read(ALICE, "ListConnectors", t),
        lambda p, t: p.read(ALICE, "ListFlows", t, filters=["S3"]),
        lambda p, t: p.read(Caller(ALICE.account_id, "eu-west-1", ALICE.caller_arn), "ListFlows", t),
        lambda p, t: Paginator(b"x" * 32).read(ALICE, "ListFlows", t),
        lambda p, t: p.read(ALICE, "ListFlows", t[:-2] + ("AA" if not t.endswith("AA") else "BB")),
        lambda p, t: p.read(ALICE, "ListFlows", "not-a-token"),
    ],
)
def test_foreign_or_forged_tokens_are_validation_errors(misuse) -> None:
    paginator = Paginator(b"k" * 32)
    token = paginator.mint(ALICE, "ListFlows", 7)
    with pytest.raises(ValidationException):
        misuse(paginator, token)
