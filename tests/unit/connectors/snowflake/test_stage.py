"""connectors/snowflake/stage.py: the staging folder must lie under the stage's URL; the stage's name form."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.snowflake.stage import Stage, check_stage_location, relative_folder, stage_parts

STAGE = Stage("DB", "RAW", "LANDING", "stage-bucket", "appflow/")


def test_relative_folder_under_the_stage() -> None:
    assert relative_folder(STAGE, "stage-bucket", "appflow/run-1/") == "run-1/"
    assert relative_folder(Stage("DB", "RAW", "L", "b", ""), "b", "x/run-1/") == "x/run-1/"


@pytest.mark.parametrize(("bucket", "folder"), [("other", "appflow/run-1/"), ("stage-bucket", "run-1/"),
                                                ("stage-bucket", "appflowx/run-1/")])
def test_a_folder_the_stage_cannot_read_is_refused(bucket: str, folder: str) -> None:
    with pytest.raises(ConnectorError, match="intermediateBucketName to stage-bucket"):
        relative_folder(STAGE, bucket, folder)


def test_the_stage_must_read_the_profiles_bucket() -> None:
    check_stage_location(STAGE, {"bucketName": "stage-bucket", "bucketPrefix": "/appflow/"})
    with pytest.raises(ConnectorError, match="s3://stage-bucket/appflow/"):
        check_stage_location(STAGE, {"bucketName": "stage-bucket"})


def test_stage_names_have_three_parts() -> None:
    assert stage_parts({"stage": "db.raw.landing"}) == ("DB", "RAW", "LANDING")
    with pytest.raises(ConnectorError, match=r"<database>\.<schema>\.<stage name>"):
        stage_parts({"stage": "landing"})
