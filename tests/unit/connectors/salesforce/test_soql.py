"""The SOQL Sluice sends: a recorded check of the condition for every pushed-down operator and literal type.

Each row of GOLDEN is (field, operator, taskProperties, the exact SOQL condition, or None when the
filter is left to the engine because Salesforce could keep fewer records than the engine would).
"""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.salesforce import soql

FIELDS: dict[str, dict[str, Any]] = {
    "Name": {"name": "Name", "type": "string"},
    "Email": {"name": "Email", "type": "email"},
    "Id": {"name": "Id", "type": "id"},
    "Type": {"name": "Type", "type": "picklist"},
    "Employees": {"name": "Employees", "type": "int"},
    "Score": {"name": "Score", "type": "double"},
    "Revenue": {"name": "Revenue", "type": "currency", "precision": 18, "scale": 2},
    "Born": {"name": "Born", "type": "date"},
    "Modified": {"name": "Modified", "type": "datetime"},
    "IsActive": {"name": "IsActive", "type": "boolean"},
    "Notes": {"name": "Notes", "type": "textarea", "filterable": False},
    "Tags": {"name": "Tags", "type": "multipicklist"},
    "LastModifiedDate": {"name": "LastModifiedDate", "type": "datetime"},
}

GOLDEN: list[tuple[str, str, dict[str, str], str | None]] = [
    # strings
    ("Name", "EQUAL_TO", {"VALUE": "Acme"}, "Name = 'Acme'"),
    ("Name", "EQUAL_TO", {"VALUES": '["Acme", "Globex"]'}, "Name IN ('Acme', 'Globex')"),
    ("Name", "EQUAL_TO", {"VALUE": "O'Brien \"Jr\"\\\n\r\t\b\f"},
     "Name = 'O\\'Brien \\\"Jr\\\"\\\\\\n\\r\\t\\b\\f'"),
    ("Name", "CONTAINS", {"VALUE": "cme"}, "Name LIKE '%cme%'"),
    ("Name", "CONTAINS", {"VALUE": "50%_off's"}, "Name LIKE '%50\\%\\_off\\'s%'"),
    ("Name", "CONTAINS", {"VALUES": "a,b"}, "(Name LIKE '%a%' OR Name LIKE '%b%')"),
    ("Email", "CONTAINS", {"VALUE": "@example"}, "Email LIKE '%@example%'"),
    ("Id", "EQUAL_TO", {"VALUE": "001000000000001AAA"}, "Id = '001000000000001AAA'"),
    ("Type", "EQUAL_TO", {"VALUE": "Customer"}, "Type = 'Customer'"),
    ("Name", "NOT_EQUAL_TO", {"VALUE": "Acme"}, None),  # SOQL != ignores case: would drop 'ACME'
    ("Name", "LESS_THAN", {"VALUE": "M"}, None),  # collations differ
    ("Name", "GREATER_THAN", {"VALUE": "M"}, None),
    ("Name", "BETWEEN", {"LOWER_BOUND": "A", "UPPER_BOUND": "M"}, None),
    ("Type", "CONTAINS", {"VALUE": "Cust"}, None),
    ("Tags", "EQUAL_TO", {"VALUE": "a;b"}, None),
    ("Notes", "EQUAL_TO", {"VALUE": "x"}, None),  # not filterable
    # numbers: int
    ("Employees", "EQUAL_TO", {"VALUE": "10"}, "Employees = 10"),
    ("Employees", "EQUAL_TO", {"VALUES": "[1, 2, 3]"}, "Employees IN (1, 2, 3)"),
    ("Employees", "NOT_EQUAL_TO", {"VALUE": "10"}, "(Employees != 10 AND Employees != null)"),
    ("Employees", "NOT_EQUAL_TO", {"VALUES": "1,2"}, "(Employees NOT IN (1, 2) AND Employees != null)"),
    ("Employees", "LESS_THAN", {"VALUE": "10"}, "Employees < 10"),
    ("Employees", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "10"}, "Employees <= 10"),
    ("Employees", "GREATER_THAN", {"VALUE": "10"}, "Employees > 10"),
    ("Employees", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "1e3"}, "Employees >= 1000"),
    ("Employees", "BETWEEN", {"LOWER_BOUND": "5", "UPPER_BOUND": "50"}, "(Employees >= 5 AND Employees <= 50)"),
    ("Employees", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "9.5"}, "Employees > 9"),
    ("Employees", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "9.5"}, "Employees < 10"),
    ("Employees", "BETWEEN", {"LOWER_BOUND": "-1.5", "UPPER_BOUND": "2.5"}, "(Employees > -2 AND Employees < 3)"),
    ("Employees", "EQUAL_TO", {"VALUE": "9.5"}, None),
    ("Employees", "EQUAL_TO", {"VALUE": "ten"}, None),  # the engine compares text then
    # numbers: double and currency
    ("Score", "GREATER_THAN", {"VALUE": "0.25"}, "Score > 0.25"),
    ("Score", "LESS_THAN", {"VALUE": "-1.5E2"}, "Score < -150"),
    ("Score", "EQUAL_TO", {"VALUE": " 2.50 "}, "Score = 2.50"),
    ("Revenue", "BETWEEN", {"LOWER_BOUND": "1000", "UPPER_BOUND": "2000.75"},
     "(Revenue >= 1000 AND Revenue <= 2000.75)"),
    ("Revenue", "NOT_EQUAL_TO", {"VALUE": "0"}, "(Revenue != 0 AND Revenue != null)"),
    ("Revenue", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "99.99"}, "Revenue <= 99.99"),
    ("Revenue", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "1"}, "Revenue >= 1"),
    ("Score", "CONTAINS", {"VALUE": "5"}, None),
    ("Score", "EQUAL_TO", {"VALUE": "5", "DATA_TYPE": "string"}, None),  # the engine compares text
    ("Score", "EQUAL_TO", {"VALUE": "5", "DATA_TYPE": "double"}, "Score = 5"),
    # dates
    ("Born", "EQUAL_TO", {"VALUE": "2024-01-31"}, "Born = 2024-01-31"),
    ("Born", "NOT_EQUAL_TO", {"VALUE": "2024-01-31"}, "(Born != 2024-01-31 AND Born != null)"),
    ("Born", "LESS_THAN", {"VALUE": "2024-01-31"}, "Born < 2024-01-31"),
    ("Born", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31"}, "Born <= 2024-01-31"),
    ("Born", "GREATER_THAN", {"VALUE": "2024-01-31"}, "Born > 2024-01-31"),
    ("Born", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31"}, "Born >= 2024-01-31"),
    ("Born", "BETWEEN", {"LOWER_BOUND": "2024-01-01", "UPPER_BOUND": "2024-12-31"},
     "(Born >= 2024-01-01 AND Born <= 2024-12-31)"),
    ("Born", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31T12:00:00Z"}, "Born > 2024-01-31"),
    ("Born", "LESS_THAN", {"VALUE": "2024-01-31T12:00:00Z"}, "Born < 2024-02-01"),
    ("Born", "GREATER_THAN", {"VALUE": "1706659200000"}, "Born > 2024-01-31"),  # epoch milliseconds
    ("Born", "EQUAL_TO", {"VALUE": "2024-01-31T12:00:00Z"}, None),
    # datetimes
    ("Modified", "EQUAL_TO", {"VALUE": "2024-01-31T10:00:00Z"}, "Modified = 2024-01-31T10:00:00Z"),
    ("Modified", "EQUAL_TO", {"VALUES": '["2024-01-31T10:00:00+02:00", "2024-02-01"]'},
     "Modified IN (2024-01-31T08:00:00Z, 2024-02-01T00:00:00Z)"),
    ("Modified", "NOT_EQUAL_TO", {"VALUE": "2024-01-31T10:00:00"},
     "(Modified != 2024-01-31T10:00:00Z AND Modified != null)"),
    ("Modified", "LESS_THAN", {"VALUE": "1706695200000"}, "Modified < 2024-01-31T10:00:00Z"),
    ("Modified", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31T10:00:00.000Z"}, "Modified <= 2024-01-31T10:00:00Z"),
    ("Modified", "GREATER_THAN", {"VALUE": "2024-01-31T10:00:00-05:00"}, "Modified > 2024-01-31T15:00:00Z"),
    ("Modified", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31"}, "Modified >= 2024-01-31T00:00:00Z"),
    ("Modified", "BETWEEN", {"LOWER_BOUND": "2024-01-01T00:00:00Z", "UPPER_BOUND": "2024-01-31T23:59:59Z"},
     "(Modified >= 2024-01-01T00:00:00Z AND Modified <= 2024-01-31T23:59:59Z)"),
    ("Modified", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31T10:00:00.500Z"}, "Modified > 2024-01-31T10:00:00Z"),
    ("Modified", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-31T10:00:00.500Z"}, "Modified < 2024-01-31T10:00:01Z"),
    ("Modified", "EQUAL_TO", {"VALUE": "2024-01-31T10:00:00.500Z"}, None),
    ("Modified", "GREATER_THAN", {"VALUE": "last tuesday"}, None),
    ("Modified", "CONTAINS", {"VALUE": "2024"}, None),
    # booleans
    ("IsActive", "EQUAL_TO", {"VALUE": "true"}, "IsActive = true"),
    ("IsActive", "EQUAL_TO", {"VALUE": "false"}, "IsActive = false"),
    ("IsActive", "NOT_EQUAL_TO", {"VALUE": "true"}, "IsActive != true"),
    ("IsActive", "EQUAL_TO", {"VALUE": "True"}, None),  # the engine compares the text 'true'
    ("IsActive", "GREATER_THAN", {"VALUE": "false"}, None),
]


def filter_task(field: str, operator: str, props: dict[str, str]) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Salesforce": operator},
            "taskProperties": props}


@pytest.mark.parametrize(("field", "operator", "props", "expected"), GOLDEN,
                         ids=[f"{f}-{o}-{i}" for i, (f, o, _, _) in enumerate(GOLDEN)])
def test_golden_condition(field: str, operator: str, props: dict[str, str], expected: str | None) -> None:
    assert soql.condition(filter_task(field, operator, props), FIELDS[field]) == expected


def test_every_pushed_down_operator_is_recorded() -> None:
    pushed = {operator for _, operator, _, expected in GOLDEN if expected is not None}
    assert pushed == soql.COMPARISONS
    kinds = {FIELDS[field]["type"] for field, _, _, expected in GOLDEN if expected is not None}
    assert kinds >= {"string", "id", "picklist", "int", "double", "currency", "date", "datetime", "boolean"}


def test_full_query_with_projection_window_and_filters() -> None:
    tasks = [
        {"taskType": "Filter", "sourceFields": ["Id", "Name"], "connectorOperator": {"Salesforce": "PROJECTION"}},
        filter_task("Employees", "GREATER_THAN", {"VALUE": "10"}),
        filter_task("Name", "NOT_EQUAL_TO", {"VALUE": "x"}),
        {"taskType": "Map", "sourceFields": ["Name"], "destinationField": "Name", "taskProperties": {}},
    ]
    query = soql.build_query("Account", ["Id", "Name"], tasks, None, 1706695200.0, 1706698800.25, FIELDS)
    assert query == (
        "SELECT Id, Name FROM Account WHERE (LastModifiedDate > 2024-01-31T10:00:00Z AND "
        "LastModifiedDate < 2024-01-31T11:00:01Z) AND Employees > 10"
    )


def test_window_on_a_named_field_and_without_start() -> None:
    assert soql.build_query("Account", ["Id"], (), "Born", None, 1706695200.0, FIELDS) == (
        "SELECT Id FROM Account WHERE (Born < 2024-02-01)"
    )
    assert soql.build_query("Account", ["Id"], (), "Modified", 1706695200.0, 1706698800.0, FIELDS) == (
        "SELECT Id FROM Account WHERE (Modified > 2024-01-31T10:00:00Z AND Modified <= 2024-01-31T11:00:00Z)"
    )
    # A window on a field Salesforce cannot compare as a time is left to the engine.
    assert soql.build_query("Account", ["Id"], (), "Name", 1.0, 2.0, FIELDS) == "SELECT Id FROM Account"


def test_objects_without_last_modified_date_use_system_modstamp() -> None:
    fields = {"SystemModstamp": {"name": "SystemModstamp", "type": "datetime"}}
    assert soql.window_field_for(None, fields) == "SystemModstamp"
    assert soql.window_field_for(None, FIELDS) == "LastModifiedDate"
    assert soql.window_field_for("Born", FIELDS) == "Born"


def test_count_query() -> None:
    assert soql.count_query("Account", "") == "SELECT COUNT() FROM Account"
    assert soql.count_query("Account", "Employees > 10") == "SELECT COUNT() FROM Account WHERE Employees > 10"


def test_tasks_that_are_not_comparisons_are_ignored() -> None:
    tasks = [
        {"taskType": "Filter", "sourceFields": ["Id"], "connectorOperator": {"Salesforce": "PROJECTION"}},
        {"taskType": "Validate", "sourceFields": ["Name"], "connectorOperator": {"Salesforce": "VALIDATE_NON_NULL"},
         "taskProperties": {"VALIDATION_ACTION": "DropRecord"}},
        filter_task("Unknown__c", "EQUAL_TO", {"VALUE": "1"}),
        filter_task("Employees", "BETWEEN", {"LOWER_BOUND": "1"}),  # malformed: the engine reports it
    ]
    assert soql.where_clause(tasks, None, None, None, FIELDS) == ""
