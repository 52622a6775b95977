"""Issue columns from a site's `/field` answer: types, identifying members, push-down kinds."""

from __future__ import annotations

from sluice.connectors.jira_cloud.fields import issue_fields
from tests.fakes.jira.site import FIELDS


def test_columns_follow_each_fields_schema() -> None:
    site = issue_fields(FIELDS)
    by_name = {f.name: f for f in site.fields}
    assert [f.name for f in site.fields[:3]] == ["id", "key", "self"] and by_name["id"].primary_key
    assert (by_name["summary"].type, by_name["summary"].path) == ("string", "fields.summary")
    assert (by_name["status"].path, by_name["status"].vendor_type) == ("fields.status.name", "status")
    assert by_name["project"].path == "fields.project.key"
    assert by_name["assignee"].path == "fields.assignee.accountId"
    assert by_name["customfield_10200"].path == "fields.customfield_10200.value"
    points = by_name["customfield_10016"]
    assert points.type == "double" and points.label == "Story point estimate"
    assert by_name["updated"].type == "datetime" and by_name["updated"].timestamp
    assert by_name["duedate"].type == "date" and not by_name["duedate"].timestamp
    assert by_name["labels"].type == "array" and by_name["labels"].item is not None
    assert by_name["components"].type == "json" and by_name["customfield_10020"].type == "json"
    assert "thumbnail" not in by_name and "comment" not in by_name  # not navigable
    # REST API v2 rich text is a wiki-markup string: a text column, like any string field.
    for rich in ("description", "environment", "customfield_10300"):
        assert (by_name[rich].type, by_name[rich].path) == ("string", f"fields.{rich}")


def test_push_down_kinds_and_clause_names() -> None:
    site = issue_fields(FIELDS)
    assert site.clause_of["issuetype"] == "issuetype" and site.kinds["issuetype"] == "name"
    assert site.clause_of["duedate"] == "due" and site.kinds["duedate"] == "date"
    assert site.clause_of["customfield_10200"] == "cf[10200]" and site.kinds["customfield_10200"] == "name"
    assert site.kinds["updated"] == "datetime"
    assert "summary" not in site.kinds and "labels" not in site.kinds  # text and lists are not pushed down


def test_odd_entries_are_skipped() -> None:
    site = issue_fields([None, {"name": "no id"}, {"id": "summary", "schema": {"type": "string"}},
                         {"id": "summary", "schema": {"type": "number"}}, {"id": "x", "schema": None}])
    assert [f.name for f in site.fields] == ["id", "key", "self", "summary", "x"]
    assert site.fields[3].type == "string" and site.fields[4].type == "json"
