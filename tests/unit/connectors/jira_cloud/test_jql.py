"""JQL built from a run's window and filters: minute bounds in the user's zone, widened, never narrowed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sluice.connectors.jira_cloud import jql
from sluice.connectors.rest.entities import Condition, Query

LA = ZoneInfo("America/Los_Angeles")
OSLO = ZoneInfo("Europe/Oslo")


def seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_bounds_are_the_users_wall_clock_minutes_widened_outwards() -> None:
    moment = seconds("2024-03-01T18:30:45+00:00")  # 10:30:45 in Los Angeles
    assert jql.lower_minute(moment, LA) == "2024/03/01 10:30"
    assert jql.upper_minute(moment, LA) == "2024/03/01 10:31"
    exact = seconds("2024-03-01T18:30:00+00:00")
    assert jql.upper_minute(exact, LA) == "2024/03/01 10:31"  # `<` the next minute keeps 10:30:00 itself


def test_ambiguous_wall_time_is_widened_by_an_hour() -> None:
    # 2024-10-27 02:30 happens twice in Oslo; the second one is 01:30 UTC.
    second = seconds("2024-10-27T01:30:00+00:00")
    assert jql.lower_minute(second, OSLO) == "2024/10/27 01:30"
    assert jql.upper_minute(second, OSLO) == "2024/10/27 03:31"


def test_unknown_zone_widens_by_the_largest_offset() -> None:
    moment = seconds("2024-03-01T18:30:00+00:00")
    assert jql.lower_minute(moment, None) == "2024/03/01 04:30"
    assert jql.upper_minute(moment, None) == "2024/03/02 08:31"
    assert jql.zone_of("Not/AZone") is None and jql.zone_of("") is None


def test_literals_escape_quotes_and_backslashes() -> None:
    assert jql.literal('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'


def test_window_and_filters_become_clauses() -> None:
    start, end = seconds("2024-03-01T18:00:10+00:00"), seconds("2024-03-01T19:00:00+00:00")
    query = Query("issues", window_field="updated", window_start=start, window_end=end, conditions=(
        Condition("project", "EQUAL_TO", ("SLU",)),
        Condition("status", "NOT_EQUAL_TO", ("Done",)),
        Condition("summary", "CONTAINS", ("crash",)),  # not pushed down: `~` matches words
        Condition("duedate", "BETWEEN", ("2024-03-01", "2024-03-31")),
        Condition("created", "LESS_THAN", (str(int(end * 1000)),)),
    ))
    clause_of = {"project": "project", "status": "status", "updated": "updated", "duedate": "due",
                 "created": "created", "summary": "summary"}
    kinds = {"project": "name", "status": "name", "updated": "datetime", "duedate": "date", "created": "datetime"}
    assert jql.clauses_for(query, clause_of, kinds, LA) == [
        'updated >= "2024/03/01 10:00"', 'updated < "2024/03/01 11:01"', 'project = "SLU"', 'status != "Done"',
        'due >= "2024-03-01"', 'due <= "2024-03-31"', 'created < "2024/03/01 11:01"']


def test_no_clause_is_still_bounded() -> None:
    assert jql.jql([]) == 'created >= "1970/01/01 00:00"'
    assert jql.jql(['a = "1"', 'b = "2"']) == 'a = "1" AND b = "2"'
