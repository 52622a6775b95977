"""The flow wizard, entirely in the browser: an S3 -> S3 flow with a Filter, a Map and a Mask is
created step by step, its review JSON is what DescribeFlow then returns, it runs from the flow
page and its per-task counts match the data; editing it raises schemaVersion; a wizard POST
without the CSRF token is refused and a refused request shows the service's words.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sluice.api.console.wizard import PICKER_PAGE
from tests.integration.builders import unique
from tests.support.browser import NARROW, screenshot
from tests.support.flows import csv_buckets, json_lines

REGIONS = ("north", "south", "east", "west")
ROWS = [
    {"id": str(i), "name": f"Kundin {i} é", "email": f"user{i}@example.com", "region": REGIONS[(i * 7) % 4],
     "amount": str((i * 53) % 700)}
    for i in range(1, 241)
]
KEPT = [r for r in ROWS if r["region"] == "north"]


@pytest.fixture(scope="module")
def buckets(console_server) -> dict[str, Any]:
    """A source bucket with the CSV under `in/`, and an empty destination bucket."""
    return csv_buckets(console_server, {"customers.csv": ROWS}, "wsrc", "wdst")


def next_step(page: Any, heading: str) -> None:
    page.locator(".wizard-nav").get_by_role("button", name="Next").click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()


def rerender(page: Any, change: Any) -> None:
    """Make a change that htmx answers by swapping the step in again, and wait for the swap."""
    page.evaluate("document.querySelector('#wizard').dataset.stale = 'yes'")
    change()
    # The swap replaces #wizard (outerHTML), so the new one carries no mark.
    page.locator("#wizard:not([data-stale])").wait_for()


def add_task(page: Any, task_type: str, field: str, operator: str, **fill: str) -> None:
    if page.get_by_label("Task type").input_value() != task_type:
        rerender(page, lambda: page.get_by_label("Task type").select_option(task_type))
    rerender(page, lambda: page.locator("#task_sources").select_option(field))
    page.get_by_label("Operator").select_option(operator)
    for label, value in fill.items():
        page.get_by_label(label).fill(value)
    rows = page.locator("#listed-tasks tbody tr").filter(has=page.get_by_role("button", name="Remove")).count()
    page.get_by_role("button", name="Add task").click()
    page.locator("#listed-tasks tbody tr").filter(has=page.get_by_role("button", name="Remove")).nth(rows).wait_for()


def test_create_run_and_edit_an_s3_flow_entirely_in_the_wizard(signed_in_page, console_server, buckets):
    page, client, name = signed_in_page, console_server.client(), unique("wizard")
    page.get_by_role("link", name="Create flow").click()
    page.wait_for_url("**/console/flows/_new")

    # 1. Source: S3 needs no connection, only a file type.
    page.get_by_label("Flow name").fill(name)
    page.get_by_label("Description").fill("north customers, e-mail masked")
    assert page.get_by_label("Source connector").input_value() == "S3"
    page.get_by_label("File type").select_option("CSV")
    screenshot(page, "wizard-1-source")
    next_step(page, "Source object")

    # 2. The picker: buckets from ListConnectorEntities; opening one loads its folders with htmx.
    bucket = page.locator(".picker > ul.tree > li").filter(has_text=buckets["source"])
    bucket.get_by_role("button", name="Open").click()
    folder = bucket.get_by_role("button", name=f"Choose {buckets['source']}/in")
    folder.wait_for()
    screenshot(page, "wizard-2-entity")
    folder.click()
    page.get_by_role("heading", name="Destination", exact=True).wait_for()

    # 3. Destination: another bucket, JSON lines, one file.
    assert page.get_by_label("Destination connector").input_value() == "S3"
    assert page.get_by_label("Write operation").count() == 0  # S3 writes new objects only (INSERT)
    page.get_by_label("Bucket").fill(buckets["destination"])
    page.get_by_label("Prefix", exact=True).fill("out")
    page.get_by_label("File type").select_option("JSON")
    page.get_by_label("Aggregation").select_option("SingleFile")
    screenshot(page, "wizard-3-destination")
    next_step(page, "Field mapping")

    # 4. Mapping: four Map tasks from the entity's fields, then a Filter and a Mask.
    for field in ("id", "name", "email", "region"):
        page.get_by_label(f"Map {field}", exact=True).check()
    page.get_by_label("Destination field for name").fill("customer")
    rerender(page, lambda: page.locator("#task_sources").select_option("region"))
    filter_operators = page.locator("#task_operator option").evaluate_all("os => os.map(o => o.value)")
    # The S3 fields' filterOperators, in the model's order (no CONTAINS: S3 does not list it).
    assert filter_operators == ["PROJECTION", "LESS_THAN", "GREATER_THAN", "LESS_THAN_OR_EQUAL_TO",
                                "GREATER_THAN_OR_EQUAL_TO", "EQUAL_TO", "NOT_EQUAL_TO", "BETWEEN"]
    add_task(page, "Filter", "region", "EQUAL_TO", **{"Value (or lower bound)": "north"})
    rerender(page, lambda: page.get_by_label("Task type").select_option("Mask"))
    assert page.locator("#task_operator option").evaluate_all("os => os.map(o => o.value)") == [
        "MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"]
    add_task(page, "Mask", "email", "MASK_ALL")
    # The table kept its state through every htmx re-render.
    assert page.get_by_label("Map email", exact=True).is_checked()
    assert page.get_by_label("Destination field for name").input_value() == "customer"
    screenshot(page, "wizard-4-mapping")
    next_step(page, "Trigger")

    # 5. Trigger: the schedule preview comes from the scheduler; the flow stays on demand.
    page.get_by_label("On a schedule").check()
    page.get_by_label("Schedule expression").fill("rate(6hours)")
    page.locator("#schedule-preview ol.fires li").nth(4).wait_for()
    fires = page.locator("#schedule-preview time").evaluate_all("ts => ts.map(t => Date.parse(t.dateTime))")
    assert [b - a for a, b in itertools.pairwise(fires)] == [6 * 3600 * 1000] * 4
    screenshot(page, "wizard-5-trigger")
    page.get_by_label("On demand").check()
    next_step(page, "Review")

    # 6. Review: the exact CreateFlow request, then Create.
    request = json.loads(page.locator("#request-json").inner_text())
    screenshot(page, "wizard-6-review")
    assert request["flowName"] == name and request["triggerConfig"] == {"triggerType": "OnDemand"}
    assert [t["taskType"] for t in request["tasks"]] == ["Map", "Map", "Map", "Map", "Filter", "Mask"]
    assert request["tasks"][4:] == [
        {"sourceFields": ["region"], "connectorOperator": {"S3": "EQUAL_TO"}, "taskType": "Filter",
         "taskProperties": {"DATA_TYPE": "string", "VALUE": "north"}},
        {"sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"}, "taskType": "Mask",
         "taskProperties": {"MASK_VALUE": "*"}}]
    page.get_by_role("button", name="Create flow").click()
    page.wait_for_url(f"**/console/flows/{name}")

    described = client.describe_flow(flowName=name)
    for key in ("description", "sourceFlowConfig", "destinationFlowConfigList", "tasks", "triggerConfig"):
        assert described[key] == request[key], key
    assert described["sourceFlowConfig"]["sourceConnectorProperties"]["S3"] == {
        "bucketName": buckets["source"], "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}
    assert described["schemaVersion"] == 1

    # Run it from the flow page and wait until it finished.
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(f"**/console/flows/{name}")
    # The flow page follows the run (htmx) and reloads when it ends.
    run_row = page.locator("table.runs tbody tr[data-execution]", has_text="Successful").first
    run_row.wait_for(timeout=60_000)
    run_row.get_by_role("link").click()
    page.wait_for_url("**/runs/*")

    def count(index: int, which: str) -> int:
        cell = page.locator(f"table.tasks-counts tr[data-task-index='{index}'] td[data-count='{which}']")
        return int(cell.inner_text().replace(",", ""))

    # The Filter (tasks[4]) sees every row and keeps the north ones; the Maps and the Mask see those.
    assert (count(4, "in"), count(4, "out"), count(4, "dropped")) == (len(ROWS), len(KEPT), len(ROWS) - len(KEPT))
    for index in (0, 1, 2, 3, 5):
        assert (count(index, "in"), count(index, "out")) == (len(KEPT), len(KEPT)), index
    written = json_lines(buckets["root"] / buckets["destination"])
    assert sorted(int(r["id"]) for r in written) == sorted(int(r["id"]) for r in KEPT)
    assert {r["customer"] for r in written} == {r["name"] for r in KEPT}
    assert all(set(r["email"]) == {"*"} and r["region"] == "north" for r in written)
    screenshot(page, "wizard-run")

    # Edit: every step is prefilled from DescribeFlow; dropping the region Map raises schemaVersion.
    page.goto(f"{console_server.url}/console/flows/{name}/edit")
    assert page.get_by_label("Flow name").input_value() == name
    assert page.get_by_label("File type").input_value() == "CSV"
    next_step(page, "Source object")
    assert page.get_by_label("Bucket").input_value() == buckets["source"]
    next_step(page, "Destination")
    assert page.get_by_label("Aggregation").input_value() == "SingleFile"
    next_step(page, "Field mapping")
    assert page.locator("#listed-tasks").get_by_text("EQUAL_TO").is_visible()
    page.get_by_label("Map region", exact=True).uncheck()
    next_step(page, "Trigger")
    next_step(page, "Review")
    update = json.loads(page.locator("#request-json").inner_text())
    assert "UpdateFlow" in page.locator("#step-title + p").inner_text()
    assert [t["taskType"] for t in update["tasks"]] == ["Map", "Map", "Map", "Filter", "Mask"]
    page.get_by_role("button", name="Update flow").click()
    page.wait_for_url(f"**/console/flows/{name}")
    described = client.describe_flow(flowName=name)
    assert described["schemaVersion"] == 2
    assert described["tasks"] == update["tasks"]


def test_a_wizard_post_without_the_csrf_token_is_refused(signed_in_page, console_server):
    page = signed_in_page
    answer = page.request.post(f"{console_server.url}/console/flows/_new",
                               form={"step": "review", "go": "send", "draft": "{}"}, max_redirects=0)
    assert answer.status == 403


def test_a_refused_create_shows_the_services_words_next_to_the_form(signed_in_page, console_server, buckets):
    page = signed_in_page
    page.set_viewport_size(NARROW)
    page.goto(f"{console_server.url}/console/flows/_new")
    page.get_by_label("Flow name").fill(unique("nobucket"))
    page.locator(".steps").get_by_role("button", name="6. Review").click()
    page.get_by_role("button", name="Create flow").click()
    alert = page.locator("#wizard-error")
    alert.wait_for()
    # Empty bucket names break the model's rules: the model validator's ValidationException.
    assert "ValidationException" in alert.inner_text() and "S3.bucketName" in alert.inner_text()
    # ... with a way back to the first step its paths name (the source's bucket).
    assert alert.get_by_role("button", name="Go to the Source object step").is_visible()
    assert page.get_by_role("heading", name="Review", exact=True).is_visible()
    # Readable at 375 px: the page never scrolls sideways (the JSON wraps).
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(page, "wizard-error-375")


def test_every_step_answers_for_a_saas_source_without_a_connection(signed_in_page, console_server):
    """Salesforce needs a connection: the picker and the mapping say so in the service's words, the
    trigger step offers Event (Salesforce supports it), a Salesforce destination offers its write
    operations; nothing fails."""
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/_new")
    rerender(page, lambda: page.get_by_label("Source connector").select_option("Salesforce"))
    assert page.get_by_label("Connection (connector profile)").is_visible()
    next_step(page, "Source object")
    assert "connectorProfileName" in page.locator(".picker .problem").inner_text()
    page.get_by_label("Object", exact=True).fill("Account")
    next_step(page, "Destination")
    rerender(page, lambda: page.get_by_label("Destination connector").select_option("Salesforce"))
    assert page.get_by_label("Write operation").locator("option").all_inner_texts() == [
        "INSERT", "UPSERT", "UPDATE", "DELETE"]
    page.get_by_label("Object", exact=True).fill("Contact")
    page.get_by_label("Write operation").select_option("UPSERT")
    page.get_by_label("ID fields (UPSERT / UPDATE / DELETE)").fill("Email")
    next_step(page, "Field mapping")
    assert "ValidationException" in page.locator(".step .problem").inner_text()
    next_step(page, "Trigger")
    assert page.get_by_label("When the source sends an event").is_visible()
    page.get_by_label("When the source sends an event").check()
    next_step(page, "Review")
    request = json.loads(page.locator("#request-json").inner_text())
    assert request["sourceFlowConfig"] == {"connectorType": "Salesforce",
                                           "sourceConnectorProperties": {"Salesforce": {"object": "Account"}}}
    assert request["destinationFlowConfigList"][0]["destinationConnectorProperties"] == {"Salesforce": {
        "object": "Contact", "writeOperationType": "UPSERT", "idFieldNames": ["Email"]}}
    assert request["triggerConfig"] == {"triggerType": "Event"}


def test_the_picker_pages_through_a_long_level(signed_in_page, console_server):
    """A new bucket appears after "Refresh the list" (ResetConnectorMetadataCache); ListConnectorEntities
    answers 100 nodes a page in the picker and "More" appends the next page."""
    bucket = unique("wmany")
    for i in range(PICKER_PAGE + 3):
        folder = console_server.data_dir / "s3" / bucket / f"day-{i:03d}"
        folder.mkdir(parents=True)
        (folder / "part.csv").write_bytes(b"id\n1\n")
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/_new")
    page.get_by_label("Flow name").fill(unique("paged"))
    next_step(page, "Source object")
    # The bucket list came from the metadata cache (other tests listed it): refresh it.
    node = page.locator(".picker > ul.tree > li").filter(has_text=bucket)
    page.get_by_role("button", name="Refresh the list").click()
    node.get_by_role("button", name="Open").click()
    children = node.locator("ul.tree > li:not(.more)")
    children.nth(PICKER_PAGE - 1).wait_for()
    assert children.count() == PICKER_PAGE
    node.get_by_role("button", name="More").click()
    children.nth(PICKER_PAGE + 2).wait_for()
    assert node.get_by_role("button", name="More").count() == 0
    node.get_by_role("button", name=f"Choose {bucket}/day-102").click()
    page.get_by_role("heading", name="Destination", exact=True).wait_for()
    page.locator(".steps").get_by_role("button", name="6. Review").click()
    request = json.loads(page.locator("#request-json").inner_text())
    assert request["sourceFlowConfig"]["sourceConnectorProperties"]["S3"]["bucketPrefix"] == "day-102"


def test_saving_an_api_made_flow_unchanged_changes_nothing(signed_in_page, console_server, buckets):
    """Every step is prefilled from DescribeFlow: walking through them and saving sends an UpdateFlow
    equal to the flow, so neither its configuration nor its schemaVersion changes."""
    client, name = console_server.client(), unique("apiflow")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1, seconds=7)
    client.create_flow(
        flowName=name, description="made with boto3",
        triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
            "scheduleExpression": "cron(15 6 * * ? *)", "scheduleStartTime": start, "timezone": "Europe/Paris",
            "dataPullMode": "Complete", "scheduleOffset": 30}}},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": buckets["source"], "bucketPrefix": "in"}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": buckets["destination"], "bucketPrefix": "api"}}}],
        tasks=[{"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
                "taskProperties": {"DATA_TYPE": "integer", "VALUE": "100"}},
               {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"},
                "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": '["email"]'}},
               {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"},
                "destinationField": "key"}])
    before = client.describe_flow(flowName=name)
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}/edit")
    for heading in ("Source object", "Destination", "Field mapping", "Trigger"):
        next_step(page, heading)
    assert page.get_by_label("On a schedule").is_checked()
    assert page.get_by_label("Time zone (for cron)").input_value() == "Europe/Paris"
    page.locator("#schedule-preview ol.fires li").first.wait_for()
    next_step(page, "Review")
    page.get_by_role("button", name="Update flow").click()
    page.wait_for_url(f"**/console/flows/{name}")
    after = client.describe_flow(flowName=name)
    for key in ("description", "sourceFlowConfig", "destinationFlowConfigList", "tasks", "triggerConfig",
                "schemaVersion"):
        assert after[key] == before[key], key
