"""connectors/snowflake/destination.py: the COPY statement and the check of COPY's answer."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.snowflake.destination import SnowflakeDestination, copy_statement
from sluice.connectors.snowflake.stage import Stage
from sluice.connectors.warehouse import Staged

STAGE = Stage("DB", "RAW", "LANDING", "stage-bucket", "appflow/")
STAGED = Staged("stage-bucket", "appflow/run-1/", ["appflow/run-1/part-00000.parquet"], ["ID"], 10, 100)


def test_copy_statement() -> None:
    assert copy_statement('"DB"."RAW"."T"', STAGE, "run-1/") == (
        'COPY INTO "DB"."RAW"."T" FROM @"DB"."RAW"."LANDING"/run-1/ '
        "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) "
        "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT")


def destination() -> Any:
    # Only `_check` is exercised: it reads `target`.
    made = SnowflakeDestination.__new__(SnowflakeDestination)
    made.target = "DB.RAW.T"
    return made


def test_every_staged_row_loaded_passes() -> None:
    destination()._check([{"file": "a", "status": "LOADED", "rows_loaded": 6},
                          {"file": "b", "status": "LOADED", "rows_loaded": 4}], STAGED)


@pytest.mark.parametrize(("results", "words"), [
    ([{"file": "a", "status": "LOADED", "rows_loaded": 9}], "loaded 9 of the 10"),
    ([{"file": "a", "status": "LOAD_SKIPPED", "rows_loaded": 0, "first_error": "File was loaded before."}],
     "File was loaded before."),
    ([{"file": "a", "status": "PARTIALLY_LOADED", "rows_loaded": 10, "first_error": "bad row"}], "bad row"),
    ([], "loaded 0 of the 10"),
])
def test_anything_else_refuses_the_load(results: list[dict[str, Any]], words: str) -> None:
    with pytest.raises(ConnectorError) as refused:
        destination()._check(results, STAGED)
    assert words in refused.value.message and "nothing was loaded" in refused.value.message
