"""The parts of OData JSON answers, V2 and V4 (odata/payload.py)."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.odata.payload import body_parts


def test_v4_value_count_and_links() -> None:
    body = {"@odata.context": "x", "value": [{"a": 1}], "@odata.count": 7, "@odata.nextLink": "n",
            "@odata.deltaLink": "d"}
    assert body_parts(body, True, "Dataverse") == ([{"a": 1}], 7, "n", "d")
    assert body_parts({"value": []}, True, "Dataverse") == ([], None, None, None)


def test_v2_results_count_and_links() -> None:
    body = {"d": {"results": [{"a": 1}], "__count": "3", "__next": "n", "__delta": "d"}}
    assert body_parts(body, False, "SAP") == ([{"a": 1}], 3, "n", "d")
    assert body_parts({"d": [{"a": 1}]}, False, "SAP") == ([{"a": 1}], None, None, None)


def test_answers_that_are_not_odata_name_the_vendor() -> None:
    with pytest.raises(ConnectorError, match="Dataverse's answer is not an OData V4 JSON object"):
        body_parts([1, 2], True, "Dataverse")
    with pytest.raises(ConnectorError, match="SAP's answer has no \"d\" member"):
        body_parts({"value": []}, False, "SAP")
