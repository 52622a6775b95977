"""VQL from a run's Query: literals, pushed-down comparisons, the window, and what is left to Sluice."""

from __future__ import annotations

from sluice.connectors.rest.entities import Condition, Field, Query
from sluice.connectors.veeva.documents import file_name
from sluice.connectors.veeva.vql import literal, select, where

FIELDS = [Field("id", primary_key=True), Field("name__v"), Field("price__c", "double"), Field("ok__c", "boolean"),
          Field("launch__c", "date"), Field("modified_date__v", "datetime", timestamp=True),
          Field("status__v", "array", item=Field("value"))]
BY_NAME = {f.name: f for f in FIELDS}


def test_literals_are_typed_and_escaped() -> None:
    assert literal(BY_NAME["name__v"], "O'Brien \\ co") == "'O\\'Brien \\\\ co'"
    assert literal(BY_NAME["price__c"], "12.5") == "12.5" and literal(BY_NAME["price__c"], "1; DROP") is None
    assert literal(BY_NAME["price__c"], "nan") is None
    assert literal(BY_NAME["ok__c"], "TRUE") == "true" and literal(BY_NAME["ok__c"], "yes") is None
    assert literal(BY_NAME["launch__c"], "2024-03-01") == "'2024-03-01'"
    assert literal(BY_NAME["modified_date__v"], "2024-03-01T10:15:30.500Z", up=True) == "'2024-03-01T10:15:31.000Z'"


def test_comparisons_and_the_window_become_where_terms() -> None:
    query = Query("product__v", conditions=(
        Condition("price__c", "GREATER_THAN", ("100",)), Condition("name__v", "EQUAL_TO", ("Nyaxa",)),
        Condition("launch__c", "BETWEEN", ("2024-01-01", "2024-02-01")),
        Condition("name__v", "CONTAINS", ("ax",)), Condition("status__v", "EQUAL_TO", ("active__v",)),
        Condition("modified_date__v", "EQUAL_TO", ("2024-01-01T00:00:00Z",)),
        Condition("name__v", "EQUAL_TO", ("a", "b"))),
        window_field="modified_date__v", window_start=1_700_000_000.25, window_end=1_700_003_600.75)
    assert where(query, FIELDS) == [
        "modified_date__v > '2023-11-14T22:13:20.000Z'", "modified_date__v <= '2023-11-14T23:13:21.000Z'",
        "price__c > 100", "name__v = 'Nyaxa'", "launch__c >= '2024-01-01'", "launch__c <= '2024-02-01'"]
    assert select(["id", "name__v", "id"], "ALLVERSIONS documents", ["a = 1", "b = 2"]) == (
        "SELECT id, name__v FROM ALLVERSIONS documents WHERE a = 1 AND b = 2 ORDER BY id ASC")


def test_file_names_come_from_content_disposition_and_stay_one_segment() -> None:
    assert file_name("attachment;filename=\"a?.pdf\";filename*=UTF-8''leaflet-%C3%B1.pdf", "/x/file") == "leaflet-ñ.pdf"
    assert file_name('attachment; filename="../../etc/passwd"', "/x/file") == "_.._etc_passwd"
    assert file_name("", "/api/v24.1/objects/documents/5/renditions/viewable_rendition__v") == "viewable_rendition__v"
