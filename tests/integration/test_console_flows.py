"""The console's flows: the list (search, filters, next run), a flow's page, running it from there
with live progress, and the run page's per-task counts checked against the data.

The flows are made with boto3, as any API user makes them; everything after that is the browser.
The server delays each S3 publish move (`SLUICE_TEST_PUBLISH_DELAY_MS`, a test hook), so a run is
still in progress when the flow page comes back from "Run now" and its live progress can be seen.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.builders import s3_flow as copy_flow
from tests.integration.builders import scheduled, unique
from tests.support.browser import NARROW, screenshot, sign_in
from tests.support.flows import csv_buckets, execution_records, json_lines, wait_for

CONSOLE_SERVER_ENV = {"SLUICE_TEST_PUBLISH_DELAY_MS": "3000", "SLUICE_RUN_PROGRESS_SECONDS": "0.2"}
THRESHOLD = 500
ROWS = [
    {"id": str(i), "name": f"Kunde {i} ü", "email": f"user{i}@example.com", "amount": str((i * 37) % 1000),
     "region": ("north", "south", "east")[i % 3]}
    for i in range(1, 301)
]
KEPT = [r for r in ROWS if float(r["amount"]) > THRESHOLD]
TASKS = [
    {"taskType": "Filter", "sourceFields": ["id", "name", "email", "amount"],
     "connectorOperator": {"S3": "PROJECTION"}},
    {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
     "taskProperties": {"VALUE": str(THRESHOLD), "DATA_TYPE": "double"}},
    {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "id"},
    {"taskType": "Map", "sourceFields": ["name"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "customer"},
    {"taskType": "Map", "sourceFields": ["amount"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "amount"},
    {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"},
     "destinationField": "email", "taskProperties": {"MASK_VALUE": "*"}},
]


@pytest.fixture(scope="module")
def buckets(console_server) -> dict[str, Any]:
    """A source bucket with the CSV split over two objects, and an empty destination bucket."""
    return csv_buckets(console_server, {"a.csv": ROWS[:150], "b.csv": ROWS[150:]}, "src", "dst")


@pytest.fixture(scope="module")
def flows(console_server, buckets) -> dict[str, str]:
    """Three flows made through the API: the S3 -> S3 one with tasks, a scheduled one (active), a draft."""
    client = console_server.client()
    tasks_flow, hourly, draft = unique("orders"), unique("hourly"), unique("draft")
    client.create_flow(
        flowName=tasks_flow,
        description="big orders, e-mail masked",
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": buckets["source"], "bucketPrefix": "in",
            "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": buckets["destination"], "bucketPrefix": "out",
            "s3OutputFormatConfig": {"fileType": "JSON"}}}}],
        tasks=TASKS,
        tags={"team": "sales"},
    )
    client.create_flow(**copy_flow(hourly, triggerConfig=scheduled("rate(1hours)"), description="hourly copy"))
    client.start_flow(flowName=hourly)
    client.create_flow(**copy_flow(draft, triggerConfig=scheduled("rate(1days)")))
    return {"tasks": tasks_flow, "hourly": hourly, "draft": draft}


def listed(page) -> list[str]:
    return page.locator("table.flows tbody tr[data-flow]").evaluate_all("rows => rows.map(r => r.dataset.flow)")


def test_the_list_shows_every_flow_with_trigger_route_and_next_run(signed_in_page, flows, buckets):
    page = signed_in_page
    assert set(flows.values()) <= set(listed(page))
    row = page.locator(f"tr[data-flow='{flows['tasks']}']")
    text = row.inner_text()
    assert "Active" in text and "OnDemand" in text and "never" in text
    assert f"S3 {buckets['source']}/in → S3 {buckets['destination']}/out" in text
    hourly = page.locator(f"tr[data-flow='{flows['hourly']}']").inner_text()
    assert "Scheduled" in hourly and "rate(1hours)" in hourly
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", hourly.split("rate(1hours)")[-1]), hourly
    draft = page.locator(f"tr[data-flow='{flows['draft']}']").inner_text()
    assert "Draft" in draft and "UTC" not in draft.split("rate(1days)")[-1]


def test_search_and_filters_narrow_the_list_in_place(signed_in_page, flows):
    page = signed_in_page
    page.get_by_label("Search").fill(flows["hourly"][:12])
    page.wait_for_function("n => document.querySelectorAll('table.flows tr[data-flow]').length === n", arg=1)
    assert listed(page) == [flows["hourly"]]
    page.get_by_label("Search").fill("masked")  # words in the description count
    page.wait_for_function("n => document.querySelector('table.flows tr[data-flow]')?.dataset.flow === n",
                           arg=flows["tasks"])
    assert listed(page) == [flows["tasks"]]
    page.get_by_label("Search").fill("")
    page.get_by_label("Status").select_option("Draft")
    page.wait_for_function("() => { const rows = [...document.querySelectorAll('table.flows tr[data-flow]')];"
                           " return rows.length > 0 && rows.every(r => r.innerText.includes('Draft')); }")
    assert flows["draft"] in listed(page) and flows["tasks"] not in listed(page)
    page.get_by_label("Status").select_option("")
    page.get_by_label("Trigger").select_option("OnDemand")
    # Each change sends its own request: wait for the list both filters give.
    page.wait_for_function("n => { const rows = [...document.querySelectorAll('table.flows tr[data-flow]')];"
                           " return rows.some(r => r.dataset.flow === n)"
                           " && rows.every(r => r.innerText.includes('OnDemand')); }", arg=flows["tasks"])
    assert flows["hourly"] not in listed(page) and flows["draft"] not in listed(page)
    assert page.url.endswith("?q=&status=&trigger=OnDemand")  # the address follows the filters
    page.get_by_label("Search").fill("no-such-flow-anywhere")
    page.get_by_text("No flow matches.").wait_for()


def test_the_flow_page_shows_configuration_tasks_and_tags(signed_in_page, console_server, flows, buckets):
    page = signed_in_page
    page.get_by_role("link", name=flows["tasks"]).click()
    page.wait_for_url(f"**/console/flows/{flows['tasks']}")
    assert page.get_by_role("heading", name=flows["tasks"]).is_visible()
    rows = page.locator("table.tasks tbody tr")
    assert rows.count() == len(TASKS)
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(len(TASKS))] == [t["taskType"] for t in TASKS]
    assert "GREATER_THAN" in rows.nth(1).inner_text() and str(THRESHOLD) in rows.nth(1).inner_text()
    assert "customer" in rows.nth(3).inner_text()
    assert "team" in page.locator("ul.tags").inner_text() and "sales" in page.locator("ul.tags").inner_text()
    assert buckets["source"] in page.locator(".card").first.inner_text()
    assert page.get_by_text("This flow has not run yet.").is_visible()
    assert page.get_by_role("button", name="Run now").is_visible()


def test_run_from_the_flow_page_watch_it_and_check_the_run_page_counts(signed_in_page, console_server, flows,
                                                                      buckets):
    page = signed_in_page
    errors: list[str] = []  # the browser's console: a CSP violation or a script error would show here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    name = flows["tasks"]
    page.goto(f"{console_server.url}/console/flows/{name}")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(f"**/console/flows/{name}")
    # Live progress: the run is still publishing (the server delays each publish move).
    live = page.locator("section.live")
    live.wait_for()
    assert "InProgress" in live.inner_text()
    assert page.get_by_role("button", name="Cancel run").is_visible()
    # htmx polls the history: the counts come in while the run publishes ...
    page.locator("[data-live='records']", has_text=f"{len(ROWS):,}").wait_for(timeout=60_000)
    assert "Filter" in live.locator("table.tasks-counts").inner_text()
    screenshot(page, "flow-page-running")
    # ... and once it ended the page reloads: no live section, no Cancel button, the row says Successful.
    live.wait_for(state="detached", timeout=60_000)
    page.wait_for_load_state()
    assert not page.get_by_role("button", name="Cancel run").is_visible()
    run_row = page.locator("table.runs tbody tr[data-execution]").first
    assert "Successful" in run_row.inner_text()
    execution_id = run_row.get_attribute("data-execution")
    [record] = [r for r in execution_records(console_server.client(), name) if r["executionId"] == execution_id]
    assert record["executionStatus"] == "Successful"
    assert f"{len(ROWS):,}" in run_row.inner_text()
    screenshot(page, "flow-page")

    run_row.get_by_role("link").click()
    page.wait_for_url(f"**/runs/{execution_id}")
    assert "Successful" in page.locator("#run .card").first.inner_text()

    def count(index: int, which: str) -> int:
        cell = page.locator(f"table.tasks-counts tr[data-task-index='{index}'] td[data-count='{which}']")
        return int(cell.inner_text().replace(",", ""))

    # Counted against the data: the projection sees every row, the comparison keeps those over
    # the threshold, and every Map and the Mask see exactly the kept rows.
    assert (count(0, "in"), count(0, "out")) == (len(ROWS), len(ROWS))
    assert (count(1, "in"), count(1, "out"), count(1, "dropped")) == (len(ROWS), len(KEPT), len(ROWS) - len(KEPT))
    for index in range(2, len(TASKS)):
        assert (count(index, "in"), count(index, "out")) == (len(KEPT), len(KEPT)), index
    assert page.locator("[data-source='records']").inner_text().replace(",", "") == str(len(ROWS))
    assert page.locator("[data-destination='records']").inner_text().replace(",", "") == str(len(KEPT))
    # ... and the destination holds exactly those rows, masked and renamed.
    written = json_lines(buckets["root"] / buckets["destination"])
    assert sorted(int(r["id"]) for r in written) == sorted(int(r["id"]) for r in KEPT)
    assert all(set(r["email"]) == {"*"} for r in written)
    assert {r["customer"] for r in written} == {r["name"] for r in KEPT}
    log = page.locator("ol.log").inner_text()
    assert "run started: S3 -> S3, 6 task(s)" in log and f"Filter dropped {len(ROWS) - len(KEPT)} of" in log
    assert f"finished Successful: {len(ROWS)} record(s) processed" in log
    screenshot(page, "run-page")

    page.goto(f"{console_server.url}/console/flows")
    assert "Successful" in page.locator(f"tr[data-flow='{name}']").inner_text()
    screenshot(page, "flows-list")
    assert errors == []


def test_activate_and_deactivate_a_scheduled_flow(signed_in_page, console_server, flows):
    page = signed_in_page
    name = flows["draft"]
    page.goto(f"{console_server.url}/console/flows/{name}")
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("button", name="Deactivate").wait_for()
    assert console_server.client().describe_flow(flowName=name)["flowStatus"] == "Active"
    assert "Next run" in page.locator(".card").nth(2).inner_text()
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("button", name="Activate").wait_for()
    assert console_server.client().describe_flow(flowName=name)["flowStatus"] == "Suspended"


def test_a_refused_action_shows_the_services_message(signed_in_page, console_server, flows):
    page = signed_in_page
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    # Stopping an OnDemand flow is refused by StopFlow itself; the console shows its words.
    answer = page.request.post(f"{console_server.url}/console/flows/{flows['tasks']}/stop",
                               form={"csrf_token": token}, max_redirects=0)
    assert answer.status == 400
    assert "only Scheduled and Event flows can be stopped" in answer.text()


def test_the_list_is_readable_at_375_px(page, console_server, flows):
    page.set_viewport_size(NARROW)
    sign_in(page, console_server)
    wait_for(lambda: page.locator("table.flows").is_visible(), 15)
    # The page itself never scrolls sideways; wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(page, "flows-list-375")
    page.goto(f"{console_server.url}/console/flows/{flows['tasks']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(page, "flow-page-375")


def test_cancel_a_run_from_the_flow_page(signed_in_page, console_server, buckets):
    """A run partitioned three ways publishes three files, each move delayed: Cancel lands in time."""
    client = console_server.client()
    name, destination = unique("partitioned"), unique("dst")
    (buckets["root"] / destination).mkdir()
    client.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": buckets["source"], "bucketPrefix": "in",
            "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": destination, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "JSON"}}}}],
        tasks=[
            {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}},
            {"taskType": "Partition", "sourceFields": ["region"], "connectorOperator": {"S3": "NO_OP"},
             "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": '["region"]'}},
        ],
    )
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(f"**/console/flows/{name}")
    page.get_by_role("button", name="Cancel run").click()
    page.wait_for_url(f"**/console/flows/{name}")
    page.locator("section.live").wait_for(state="detached", timeout=60_000)
    page.wait_for_load_state()
    run_row = page.locator("table.runs tbody tr[data-execution]").first
    assert "Canceled" in run_row.inner_text()
    [record] = execution_records(client, name)
    assert record["executionStatus"] == "Canceled"
    # Nothing of a canceled run is visible in the destination.
    assert json_lines(buckets["root"] / destination) == []


def test_a_failed_run_shows_its_error_in_the_history_and_on_its_page(signed_in_page, console_server):
    client = console_server.client()
    name, missing = unique("broken"), unique("absent")
    client.create_flow(**copy_flow(name, sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {
        "S3": {"bucketName": missing, "bucketPrefix": "in"}}}))
    execution_id = client.start_flow(flowName=name)["executionId"]
    wait_for(lambda: execution_records(client, name)[0]["executionStatus"] == "Error", 60)
    message = execution_records(client, name)[0]["executionResult"]["errorInfo"]["executionMessage"]
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}")
    row = page.locator(f"tr[data-execution='{execution_id}']")
    assert "Error" in row.inner_text() and message in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_url(f"**/runs/{execution_id}")
    assert page.get_by_role("alert").inner_text() == message
    assert f"finished Error: {message}" in page.locator("ol.log").inner_text()


def test_the_run_page_follows_a_running_run_until_it_ends(signed_in_page, console_server, flows):
    client = console_server.client()
    name = flows["tasks"]
    execution_id = client.start_flow(flowName=name)["executionId"]
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}/runs/{execution_id}")
    status = page.locator("#run .card").first
    assert "InProgress" in status.inner_text()
    # htmx swaps the page's body every second until the run has ended.
    page.locator("#run .status-successful").wait_for(timeout=60_000)
    assert page.locator("[data-destination='records']").inner_text() == f"{len(KEPT):,}"
    assert page.locator("#run[hx-get]").count() == 0  # no more polling


def test_an_unknown_run_is_not_found(signed_in_page, console_server, flows):
    page = signed_in_page
    assert page.goto(f"{console_server.url}/console/flows/{flows['tasks']}/runs/no-such-run").status == 404
    assert page.goto(f"{console_server.url}/console/flows/no-such-flow/runs/x").status == 404


def test_older_runs_are_a_page_away(signed_in_page, console_server, flows):
    name = flows["tasks"]
    runs = [r["executionId"] for r in execution_records(console_server.client(), name)]
    assert len(runs) >= 2  # the tests above ran it twice
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}?runs=1")
    seen = [page.locator("table.runs tr[data-execution]").get_attribute("data-execution")]
    while page.get_by_role("link", name="Older runs").count():
        page.get_by_role("link", name="Older runs").click()
        page.wait_for_load_state()
        seen.append(page.locator("table.runs tr[data-execution]").get_attribute("data-execution"))
        assert page.get_by_role("link", name="Newest runs").is_visible()
    assert seen == runs
    assert page.goto(f"{console_server.url}/console/flows/{name}?older=forged").status == 400


def test_what_a_flow_holds_is_shown_as_text_never_as_markup(signed_in_page, console_server, buckets):
    markup = "<img src=x onerror=alert(1)><b>bold</b>"
    name = unique("markup")
    console_server.client().create_flow(**copy_flow(name, tasks=[
        {"taskType": "Filter", "sourceFields": ["name"], "connectorOperator": {"S3": "EQUAL_TO"},
         "taskProperties": {"VALUE": markup, "DATA_TYPE": "string"}},
        {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}},
    ]))
    page = signed_in_page
    page.goto(f"{console_server.url}/console/flows/{name}")
    assert markup in page.locator("table.tasks").inner_text()
    assert page.locator("table.tasks img, table.tasks b").count() == 0
