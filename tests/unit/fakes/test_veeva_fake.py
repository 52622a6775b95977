"""The fake Vault answers as Veeva's REST API reference says, driven with `requests`.

Veeva's docs show plain HTTP calls (curl); `requests` plays them: sign in for a session id, query with
VQL and follow `next_page`, read object and document metadata, download document and rendition files,
and meet the envelope's failures (wrong password, expired session, bad VQL) and a 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.veeva.server import FakeVault
from tests.support.tls import tls_env

V = "/api/v24.1"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVault]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakeVault(products=2100, documents=12) as server:
            yield server


def session(fake: FakeVault) -> str:
    answer = requests.post(f"{fake.url}{V}/auth", data={"username": fake.state.username,
                                                         "password": fake.state.password}, timeout=30).json()
    assert answer["responseStatus"] == "SUCCESS"
    return str(answer["sessionId"])


def call(fake: FakeVault, method: str, path: str, sid: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{fake.url}{path}", headers={"Authorization": sid, "Accept": "application/json"},
                            timeout=30, **kwargs)


def test_a_vql_query_pages_through_next_page(fake: FakeVault) -> None:
    sid = session(fake)
    answer = call(fake, "POST", f"{V}/query", sid,
                  data={"q": "SELECT id, name__v, status__v FROM product__v ORDER BY id ASC"})
    body = answer.json()
    assert answer.headers["X-VaultAPI-BurstLimit"] == "2000" and "X-VaultAPI-BurstLimitRemaining" in answer.headers
    assert body["responseDetails"]["total"] == 2100 and body["responseDetails"]["size"] == 1000
    rows = list(body["data"])
    while body["responseDetails"].get("next_page"):
        body = call(fake, "GET", body["responseDetails"]["next_page"], sid).json()
        rows += body["data"]
    assert [r["id"] for r in rows] == [r["id"] for r in fake.state.object_records("product__v")]
    assert set(rows[0]) == {"id", "name__v", "status__v"} and isinstance(rows[0]["status__v"], list)


def test_where_and_allversions_documents(fake: FakeVault) -> None:
    sid = session(fake)
    cut = fake.state.object_record("product__v", 10)["modified_date__v"]
    later = call(fake, "POST", f"{V}/query", sid, data={
        "q": f"SELECT id, modified_date__v FROM product__v WHERE modified_date__v > '{cut}' PAGESIZE 50"}).json()
    assert later["responseDetails"]["pagesize"] == 50 and all(r["modified_date__v"] > cut for r in later["data"])
    latest = call(fake, "POST", f"{V}/query", sid, data={
        "q": "SELECT id, major_version_number__v FROM documents WHERE type__v = 'Claim'"}).json()["data"]
    every = call(fake, "POST", f"{V}/query", sid, data={
        "q": "SELECT id, major_version_number__v FROM ALLVERSIONS documents WHERE type__v = 'Claim'"}).json()["data"]
    assert len({r["id"] for r in latest}) == len(latest) == 4 and len(every) > len(latest)


def test_metadata_describes_objects_and_documents(fake: FakeVault) -> None:
    sid = session(fake)
    objects = call(fake, "GET", f"{V}/metadata/vobjects", sid).json()["objects"]
    assert {o["name"] for o in objects} == {"product__v", "country__v"}
    fields = call(fake, "GET", f"{V}/metadata/vobjects/product__v", sid).json()["object"]["fields"]
    assert {"name": "modified_date__v", "type": "DateTime", "label": "Last Modified Date", "required": False} in fields
    properties = call(fake, "GET", f"{V}/metadata/objects/documents/properties", sid).json()["properties"]
    assert any(p["name"] == "product__v" and p["repeating"] for p in properties)
    types = call(fake, "GET", f"{V}/metadata/objects/documents/types", sid).json()["types"]
    assert types[0]["label"] == "Promotional Piece" and types[0]["value"].endswith("/promotional_piece__c")


def test_document_files_and_renditions_download(fake: FakeVault) -> None:
    sid = session(fake)
    source = call(fake, "GET", f"{V}/objects/documents/100/file", sid)
    assert source.headers["content-type"] == "application/pdf" and source.content.startswith(b"%PDF-1.4")
    assert 'filename="leaflet-100-' in source.headers["content-disposition"]
    first = fake.state.versions(0)[0]
    old = call(fake, "GET", f"{V}/objects/documents/100/versions/{first[0]}/{first[1]}/file", sid)
    assert old.content == fake.state.source_file(100, first)
    listed = call(fake, "GET", f"{V}/objects/documents/100/renditions", sid).json()
    assert listed["renditionTypes"] == ["viewable_rendition__v"]
    rendition = call(fake, "GET", f"{V}/objects/documents/100/renditions/viewable_rendition__v", sid)
    assert rendition.content.endswith(b"%%EOF\n")
    placeholder = call(fake, "GET", f"{V}/objects/documents/103/file", sid).json()
    assert placeholder["responseStatus"] == "FAILURE" and placeholder["errors"][0]["type"] == "INVALID_DATA"


def test_failures_use_the_envelope(fake: FakeVault) -> None:
    wrong = requests.post(f"{fake.url}{V}/auth", data={"username": fake.state.username, "password": "x"}, timeout=30)
    assert wrong.status_code == 200 and wrong.json()["errors"][0]["type"] == "USERNAME_OR_PASSWORD_INCORRECT"
    sid = session(fake)
    bad = call(fake, "POST", f"{V}/query", sid, data={"q": "SELECT nope__c FROM product__v"}).json()
    assert bad["responseStatus"] == "FAILURE" and bad["errors"][0]["type"] == "INVALID_DATA"
    fake.state.expire_sessions()
    expired = call(fake, "GET", f"{V}/metadata/vobjects", sid).json()
    assert expired["errors"] == [{"type": "INVALID_SESSION_ID", "message": "Invalid or expired session ID."}]
    sid = session(fake)
    fake.state.throttle_next(1, path=f"{V}/metadata/vobjects")
    limited = call(fake, "GET", f"{V}/metadata/vobjects", sid)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["errors"][0]["type"] == "API_LIMIT_EXCEEDED"
    assert call(fake, "GET", f"{V}/metadata/vobjects", sid).status_code == 200
