"""Upsolver's CreateFlow checks: the bucket rule and the model's required prefixConfig."""

from __future__ import annotations

import pytest

from sluice.connectors.upsolver.checks import check_properties

FORMAT = {"prefixConfig": {"prefixType": "PATH"}}


def test_an_upsolver_bucket_passes() -> None:
    check_properties({"bucketName": "upsolver-appflow-data", "s3OutputFormatConfig": FORMAT}, "destination", "f")


@pytest.mark.parametrize("props, words", [
    ({"bucketName": "my-bucket", "s3OutputFormatConfig": FORMAT}, "must start with 'upsolver-appflow'"),
    ({"bucketName": "upsolver-appflow-x", "s3OutputFormatConfig": {}}, "prefixConfig"),
    ({"bucketName": "upsolver-appflow-x", "bucketPrefix": "a\x00b", "s3OutputFormatConfig": FORMAT}, "NUL"),
])
def test_refusals_say_why(props: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_properties(props, "destination", "flow")
