"""Bulk API 2.0 of the fake Salesforce org (tests/fakes/salesforce/bulk.py), spoken to over real HTTP."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.salesforce.server import FakeSalesforce

BASE = "/services/data/v59.0/jobs"
V60 = "/services/data/v60.0/jobs"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce({"Account": 3000, "Contact": 100, "Opportunity": 0}) as server:
        yield server


@pytest.fixture
def client(fake: FakeSalesforce) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {fake.token()}"}, timeout=30) as c:
        yield c


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def wait_for(client: httpx.Client, path: str) -> dict[str, Any]:
    """Poll a job until it is finished; return its last info."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = client.get(path).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"{path} did not finish")


def run_query(client: httpx.Client, soql: str, operation: str = "query") -> str:
    response = client.post(f"{BASE}/query", json={"operation": operation, "query": soql})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["state"] == "UploadComplete" and job["id"].startswith("750") and job["contentType"] == "CSV"
    assert wait_for(client, f"{BASE}/query/{job['id']}")["state"] == "JobComplete"
    return str(job["id"])


def all_pages(client: httpx.Client, job_id: str, max_records: int | None) -> tuple[list[str], list[list[str]], int]:
    """(header, rows, pages) following Sforce-Locator until it says null."""
    header: list[str] = []
    rows: list[list[str]] = []
    locator, pages = None, 0
    while True:
        params: dict[str, Any] = {} if max_records is None else {"maxRecords": max_records}
        if locator:
            params["locator"] = locator
        response = client.get(f"{BASE}/query/{job_id}/results", params=params)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        page = rows_of(response.text)
        header = header or page[0]
        assert page[0] == header  # every page starts with the header row
        assert int(response.headers["Sforce-NumberOfRecords"]) == len(page) - 1
        rows.extend(page[1:])
        pages += 1
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            return header, rows, pages


def test_query_job_pages_follow_locators(fake: FakeSalesforce, client: httpx.Client) -> None:
    soql = "SELECT Id, Name, IsActive__c, AnnualRevenue, NumberOfEmployees, Description, CreatedDate FROM Account"
    response = client.post(f"{BASE}/query", json={"operation": "query", "query": soql})
    job_id = response.json()["id"]
    first = client.get(f"{BASE}/query/{job_id}").json()
    assert first["state"] in ("UploadComplete", "InProgress")  # never complete on the first poll
    early = client.get(f"{BASE}/query/{job_id}/results")
    if early.status_code != 200:
        assert early.status_code == 412 and early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    info = wait_for(client, f"{BASE}/query/{job_id}")
    expected = fake.org.query(soql)
    assert info["numberRecordsProcessed"] == expected.total_size == 3000
    header, rows, pages = all_pages(client, job_id, max_records=700)
    assert header == expected.columns and pages == 5
    assert [r[0] for r in rows] == [r[0] for r in expected.rows]
    by_id = {r[0]: r for r in rows}
    for want in expected.rows:
        got = by_id[want[0]]
        assert got[1] == want[1]
        assert got[2] == ("true" if want[2] else "false")
        assert (float(got[3]) if got[3] else None) == want[3]
        assert (int(got[4]) if got[4] else None) == want[4]
        assert got[5] == (want[5] or "")  # multi-line descriptions survive the page cuts
        assert got[6] == want[6]
    # Locators are stable: the same page can be fetched again.
    again = client.get(f"{BASE}/query/{job_id}/results", params={"maxRecords": 700, "locator": "NzAw"})
    assert rows_of(again.text)[1:] == rows[700:1400]


def test_default_page_size_and_line_endings(client: httpx.Client) -> None:
    job_id = run_query(client, "SELECT Id, Name FROM Account")
    _, rows, pages = all_pages(client, job_id, max_records=None)
    assert len(rows) == 3000 and pages == 1  # 50,000 rows per page unless maxRecords says otherwise
    response = client.post(f"{BASE}/query", json={"operation": "query", "query": "SELECT Id FROM Contact",
                                                  "lineEnding": "CRLF", "columnDelimiter": "PIPE"})
    job_id = response.json()["id"]
    wait_for(client, f"{BASE}/query/{job_id}")
    text = client.get(f"{BASE}/query/{job_id}/results", params={"maxRecords": 30}).text
    assert text.startswith('"Id"\r\n"003') and text.count("\r\n") == 31


def test_quotes_and_line_breaks_survive_page_cuts(fake: FakeSalesforce, client: httpx.Client) -> None:
    names = ['Say "hi", ok', 'Say ""twice""', "Say\nnothing"]
    fake.org.write("Account", "insert", [{"Name": n, "Description": f'{n}\n"quoted"\r\nend,'} for n in names])
    soql = "SELECT Name, Description, Website FROM Account WHERE Name LIKE 'Say%'"
    _, rows, pages = all_pages(client, run_query(client, soql), max_records=1)
    assert pages == 3 and rows == [[n, f'{n}\n"quoted"\r\nend,', ""] for n in names]


def test_query_all_includes_deleted_records(fake: FakeSalesforce, client: httpx.Client) -> None:
    victim = next(iter(fake.org.query("SELECT Id FROM Account WHERE Name LIKE '%7'").rows))[0]
    assert fake.org.write("Account", "delete", [{"Id": victim}])[0]["success"]
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{victim}'"
    assert all_pages(client, run_query(client, soql), 100)[1] == []
    assert all_pages(client, run_query(client, soql, "queryAll"), 100)[1] == [[victim, "true"]]


def test_unchanged_query_reuses_its_csv_until_data_changes(fake: FakeSalesforce, client: httpx.Client) -> None:
    soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%'"
    first = run_query(client, soql)
    second = run_query(client, soql)
    assert client.delete(f"{BASE}/query/{first}").status_code == 204  # the shared file outlives the first job
    _, rows, _ = all_pages(client, second, 100)
    assert rows == [list(r) for r in fake.org.query(soql).rows]
    made = fake.org.write("Account", "insert", [{"Name": "Acme Fresh"}])[0]["id"]
    _, rows, _ = all_pages(client, run_query(client, soql), 100)
    assert made in [r[0] for r in rows]


@pytest.mark.parametrize(("body", "code", "text"), [
    ({"operation": "query", "query": "SELECT Id, FROM Account"}, "MALFORMED_QUERY", "unexpected token"),
    ({"operation": "query", "query": "SELECT Id, Nope__c FROM Account"}, "INVALID_FIELD", "No such column"),
    ({"operation": "query", "query": "SELECT Id FROM Nope"}, "INVALID_TYPE", "not supported"),
    ({"operation": "query", "query": "SELECT Id, BillingAddress FROM Account"}, "API_ERROR",
     "Selecting compound data not supported in Bulk Query"),
    ({"operation": "query", "query": "SELECT COUNT() FROM Account"}, "API_ERROR", "Aggregate"),
    ({"operation": "select", "query": "SELECT Id FROM Account"}, "INVALIDJOB", "operation"),
])
def test_bad_query_jobs_are_rejected_at_creation(client: httpx.Client, body: dict[str, str], code: str,
                                                 text: str) -> None:
    response = client.post(f"{BASE}/query", json=body)
    assert response.status_code == 400
    error = response.json()[0]
    assert error["errorCode"] == code and text in error["message"]


def test_unknown_job_abort_delete_and_auth(fake: FakeSalesforce, client: httpx.Client) -> None:
    assert client.post(f"{V60}/query", json={"operation": "query", "query": "SELECT Id FROM Account"}).json()[
        "apiVersion"] == 60.0
    missing = client.get(f"{BASE}/query/7505g00000000ZZAAA")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    job_id = client.post(f"{BASE}/query", json={"operation": "query", "query": "SELECT Id FROM Account"}).json()["id"]
    assert client.get(f"{BASE}/ingest/{job_id}").status_code == 404  # a query job is no ingest job
    aborted = client.patch(f"{BASE}/query/{job_id}", json={"state": "Aborted"})
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    assert client.get(f"{BASE}/query/{job_id}/results").status_code == 412
    assert client.delete(f"{BASE}/query/{job_id}").status_code == 204
    assert client.get(f"{BASE}/query/{job_id}").status_code == 404
    listed = client.get(f"{BASE}/query").json()
    assert listed["done"] is True and all(j["jobType"] == "V2Query" for j in listed["records"])
    anonymous = httpx.post(f"{fake.url}{BASE}/query", json={"operation": "query", "query": "SELECT Id FROM Account"})
    assert anonymous.status_code == 401 and anonymous.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_injected_fault_and_counters(fake: FakeSalesforce, client: httpx.Client) -> None:
    before = fake.org.counters.get("bulk_query_create", 0)
    fake.org.faults.add("POST", r"/jobs/query$", 503, retry_after=1)
    failed = client.post(f"{BASE}/query", json={"operation": "query", "query": "SELECT Id FROM Account"})
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    run_query(client, "SELECT Id FROM Account")
    assert fake.org.counters["bulk_query_create"] == before + 2
    # A "JOB" fault fails the next job of its kind while it runs, as a query timeout would.
    fake.org.faults.add("JOB", "job:query", 500, message="Query timed out")
    job_id = client.post(f"{BASE}/query", json={"operation": "query", "query": "SELECT Id FROM Account"}).json()["id"]
    info = wait_for(client, f"{BASE}/query/{job_id}")
    assert info["state"] == "Failed" and info["errorMessage"] == "Query timed out"
    assert client.get(f"{BASE}/query/{job_id}/results").status_code == 412
    fake.org.faults.add("JOB", "job:ingest", 500, message="Batch failed")
    info, _ = ingest(client, "insert", "Name\nNever\n")
    assert info["state"] == "Failed" and info["errorMessage"] == "Batch failed"


def ingest(client: httpx.Client, operation: str, csv_text: str, **extra: Any) -> tuple[dict[str, Any], str]:
    """Create, upload, close and wait for an ingest job; (final info, job id)."""
    response = client.post(f"{BASE}/ingest", json={"object": "Account", "operation": operation, "contentType": "CSV",
                                                   "lineEnding": "LF", **extra})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["state"] == "Open" and job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    upload = client.put(f"/{job['contentUrl']}", content=csv_text.encode(), headers={"Content-Type": "text/csv"})
    assert upload.status_code == 201
    closed = client.patch(f"{BASE}/ingest/{job['id']}", json={"state": "UploadComplete"})
    assert closed.status_code == 200 and closed.json()["state"] == "UploadComplete"
    return wait_for(client, f"{BASE}/ingest/{job['id']}"), job["id"]


def results(client: httpx.Client, job_id: str, kind: str) -> list[dict[str, str]]:
    response = client.get(f"{BASE}/ingest/{job_id}/{kind}/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def test_ingest_insert_with_a_rejected_row(fake: FakeSalesforce, client: httpx.Client) -> None:
    text = ('Name,External_Id__c,AnnualRevenue,IsActive__c,Description\n'
            'Bulk One,BULK-1,1500.5,true,"two\nlines, and a comma"\n'
            'REJECT me,BULK-2,10,false,\n'
            'Bulk Three,BULK-3,,false,\n')
    info, job_id = ingest(client, "insert", text)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 3
    assert info["numberRecordsFailed"] == 1 and info["jobType"] == "V2Ingest"
    ok = results(client, job_id, "successfulResults")
    assert [r["Name"] for r in ok] == ["Bulk One", "Bulk Three"]
    assert all(r["sf__Created"] == "true" and r["sf__Id"].startswith("001") for r in ok)
    record = fake.org.record("Account", ok[0]["sf__Id"])
    assert record is not None
    assert record["AnnualRevenue"] == 1500.5 and record["IsActive__c"] is True
    assert record["Description"] == "two\nlines, and a comma"
    failed = results(client, job_id, "failedResults")
    assert len(failed) == 1 and failed[0]["Name"] == "REJECT me" and failed[0]["sf__Id"] == ""
    assert failed[0]["sf__Error"].startswith("FIELD_CUSTOM_VALIDATION_EXCEPTION:Rejected by validation rule")
    assert results(client, job_id, "unprocessedrecords") == []


def test_ingest_upsert_update_delete(fake: FakeSalesforce, client: httpx.Client) -> None:
    ingest(client, "insert", "Name,External_Id__c\nUp Existing,UPS-1\n")
    info, job_id = ingest(client, "upsert", "External_Id__c,Name\nUPS-1,Up Changed\nUPS-2,Up New\n",
                          externalIdFieldName="External_Id__c")
    assert info["state"] == "JobComplete" and info["numberRecordsFailed"] == 0
    created = {r["External_Id__c"]: r["sf__Created"] for r in results(client, job_id, "successfulResults")}
    assert created == {"UPS-1": "false", "UPS-2": "true"}
    ids = {r[1]: r[0] for r in fake.org.query("SELECT Id, External_Id__c FROM Account WHERE External_Id__c "
                                              "LIKE 'UPS-%'").rows}
    # Update: an empty value leaves the field alone, #N/A clears it, a bad id fails on its own.
    fake.org.write("Account", "update", [{"Id": ids["UPS-1"], "Phone": "555", "Website": "https://x.test"}])
    text = f"Id,Phone,Website\n{ids['UPS-1']},,#N/A\n001000000000000AAA,1,2\n"
    info, job_id = ingest(client, "update", text)
    assert info["numberRecordsProcessed"] == 2 and info["numberRecordsFailed"] == 1
    record = fake.org.record("Account", ids["UPS-1"])
    assert record is not None and record["Phone"] == "555" and record["Website"] is None
    assert results(client, job_id, "failedResults")[0]["sf__Error"].startswith("INVALID_CROSS_REFERENCE_KEY:")
    info, job_id = ingest(client, "delete", f"Id\n{ids['UPS-1']}\n{ids['UPS-2']}\n")
    assert info["numberRecordsProcessed"] == 2 and info["numberRecordsFailed"] == 0
    assert [r["sf__Created"] for r in results(client, job_id, "successfulResults")] == ["false", "false"]
    assert fake.org.record("Account", ids["UPS-2"]) is None


def test_ingest_rules(client: httpx.Client) -> None:
    no_key = client.post(f"{BASE}/ingest", json={"object": "Account", "operation": "upsert"})
    assert no_key.status_code == 400 and no_key.json()[0]["errorCode"] == "INVALIDJOB"
    unknown = client.post(f"{BASE}/ingest", json={"object": "Nope__c", "operation": "insert"})
    assert unknown.status_code == 400 and unknown.json()[0]["errorCode"] == "INVALIDENTITY"
    job = client.post(f"{BASE}/ingest", json={"object": "Account", "operation": "insert"}).json()
    assert client.put(f"/{job['contentUrl']}", content=b"Name\nA\n").status_code == 201
    second = client.put(f"/{job['contentUrl']}", content=b"Name\nB\n")
    assert second.status_code == 400 and "Found multiple contents for job" in second.json()[0]["message"]
    assert client.patch(f"{BASE}/ingest/{job['id']}", json={"state": "Aborted"}).json()["state"] == "Aborted"
    assert client.put(f"/{job['contentUrl']}", content=b"Name\nC\n").status_code == 400
    bad_field, job_id = ingest(client, "insert", "Name,Nope__c\nX,1\n")
    assert bad_field["state"] == "Failed" and "Nope__c" in bad_field["errorMessage"]
    assert client.delete(f"{BASE}/ingest/{job_id}").status_code == 204
