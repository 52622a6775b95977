"""The fake Salesforce org's core: SOQL, OAuth grants, REST paging, collections, faults, describe, a real client."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.adapters import HTTPAdapter

from tests.fakes.salesforce.org import Org, SalesforceError
from tests.fakes.salesforce.schema import id18, make_id
from tests.fakes.salesforce.server import FakeSalesforce
from tests.fakes.salesforce.soql import date_range, translate

V = "/services/data/v59.0"
COUNTS = {"Account": 4500, "Contact": 300, "Opportunity": 100}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(COUNTS) as server:
        yield server


@pytest.fixture
def client(fake: FakeSalesforce) -> Iterator[httpx.Client]:
    """An HTTP client with a fresh token (other tests may expire tokens)."""
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {fake.token()}"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def small() -> Org:
    """An org with only hand-made Accounts, for exact SOQL answers."""
    org = Org({})
    rows = [
        {"Name": "Acme Corp", "Type": "Partner", "AnnualRevenue": 100.5, "NumberOfEmployees": 10, "IsActive__c": True,
         "BillingCity": "Oslo", "BillingCountry": "Norway", "External_Id__c": "A-1"},
        {"Name": "acme labs", "Type": "Prospect", "AnnualRevenue": 2000, "NumberOfEmployees": 250},
        {"Name": "O'Brien & Sons", "Type": None, "AnnualRevenue": None, "NumberOfEmployees": 5},
        {"Name": "50% Off Ltd", "Type": "Other", "NumberOfEmployees": 7, "Phone": "back\\slash"},
        {"Name": "Zeta_Co", "Type": "Customer - Direct", "IsActive__c": True},
    ]
    assert all(r["success"] for r in org.write("Account", "insert", rows))
    return org


def names(org: Org, where: str, order: str = "Name") -> list[str]:
    return [r[0] for r in org.query(f"SELECT Name FROM Account WHERE {where} ORDER BY {order}").rows]


def sf_error(fn, *args) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        fn(*args)
    return info.value


# --- SOQL ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("where", "expected"), [
    ("Name = 'ACME CORP'", ["Acme Corp"]),  # string equality ignores case, as in SOQL
    ("Type != 'Partner'", ["50% Off Ltd", "acme labs", "O'Brien & Sons", "Zeta_Co"]),  # != keeps nulls
    ("Type <> null", ["50% Off Ltd", "Acme Corp", "acme labs", "Zeta_Co"]),
    ("Type = null", ["O'Brien & Sons"]),
    ("NumberOfEmployees < 7", ["O'Brien & Sons"]),
    ("NumberOfEmployees <= 7", ["50% Off Ltd", "O'Brien & Sons"]),
    ("NumberOfEmployees > 10", ["acme labs"]),
    ("NumberOfEmployees >= 10", ["Acme Corp", "acme labs"]),
    ("AnnualRevenue = 100.5", ["Acme Corp"]),
    ("Type IN ('Partner', 'other')", ["50% Off Ltd", "Acme Corp"]),
    ("Type NOT IN ('Partner', 'Other')", ["acme labs", "O'Brien & Sons", "Zeta_Co"]),
    ("Name LIKE 'acme%'", ["Acme Corp", "acme labs"]),
    ("Name LIKE '_cme %'", ["Acme Corp", "acme labs"]),
    ("Name LIKE '%\\%%'", ["50% Off Ltd"]),  # \% is a literal percent sign
    ("Name LIKE '%\\_%'", ["Zeta_Co"]),
    ("Name = 'O\\'Brien & Sons'", ["O'Brien & Sons"]),
    ("Phone = 'back\\\\slash'", ["50% Off Ltd"]),
    ("IsActive__c = true", ["Acme Corp", "Zeta_Co"]),
    ("IsActive__c = FALSE", ["50% Off Ltd", "acme labs", "O'Brien & Sons"]),
    ("NOT Name LIKE 'acme%'", ["50% Off Ltd", "O'Brien & Sons", "Zeta_Co"]),
    ("(Type = 'Partner' OR Type = 'Prospect') AND NumberOfEmployees > 100", ["acme labs"]),
    ("Type = 'Partner' OR (NumberOfEmployees < 6 AND Type = null)", ["Acme Corp", "O'Brien & Sons"]),
    ("BillingCity = 'oslo' AND External_Id__c = 'a-1'", ["Acme Corp"]),
    ("CreatedDate = TODAY AND LastModifiedDate = LAST_N_DAYS:1", ["50% Off Ltd", "Acme Corp", "acme labs",
                                                                   "O'Brien & Sons", "Zeta_Co"]),
    ("CreatedDate = YESTERDAY OR CreatedDate = NEXT_N_DAYS:3", []),
    ("CreatedDate > 2024-01-31T10:00:00Z AND CreatedDate < 2999-01-01T00:00:00.000+01:00",
     ["50% Off Ltd", "Acme Corp", "acme labs", "O'Brien & Sons", "Zeta_Co"]),
])
def test_soql_operators(small: Org, where: str, expected: list[str]) -> None:
    assert names(small, where, "Name") == sorted(expected, key=str.lower)


def test_soql_select_shape_order_limit_offset_count(small: Org) -> None:
    res = small.query("select name, isactive__c, billingaddress, ID from account where name = 'Acme Corp'")
    assert res.columns == ["Name", "IsActive__c", "BillingAddress", "Id"] and res.object_name == "Account"
    name, active, address, rid = res.rows[0]
    assert (name, active) == ("Acme Corp", True) and rid.startswith("001") and len(rid) == 18
    assert address["city"] == "Oslo" and address["country"] == "Norway" and address["street"] is None
    assert small.query("SELECT Name, BillingAddress FROM Account WHERE Name = 'Zeta_Co'").rows[0][1] is None
    assert names(small, "Name != null", "Type DESC NULLS FIRST, Name") == [
        "O'Brien & Sons", "acme labs", "Acme Corp", "50% Off Ltd", "Zeta_Co"]
    assert names(small, "Name != null", "Type ASC NULLS LAST LIMIT 2 OFFSET 3") == ["acme labs", "O'Brien & Sons"]
    count = small.query("SELECT COUNT() FROM Account WHERE Name LIKE 'acme%'")
    assert (count.is_count, count.total_size, list(count.rows)) == (True, 2, [])
    lazy = small.query_iter("SELECT Id FROM Account")
    assert lazy.total_size == 5 and not isinstance(lazy.rows, list) and len(list(lazy.rows)) == 5


def test_soql_datetime_literals_normalise_to_utc() -> None:
    tr = translate("SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-31T11:00:00+01:00 AND "
                   "CreatedDate < 2024-02-01T00:00:00.5Z")
    assert tr.params == ["2024-01-31T10:00:00.000Z", "2024-02-01T00:00:00.500Z"]
    now = dt.datetime(2024, 3, 14, 15, 0, tzinfo=dt.UTC)  # a Thursday
    tr = translate("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:7 AND CloseDate > TODAY", now=now)
    assert tr.params == ["2024-03-07", "2024-03-15", "2024-03-15"]
    tr = translate("SELECT Id FROM Account WHERE CreatedDate < YESTERDAY", now=now)
    assert tr.params == ["2024-03-13T00:00:00.000Z"]
    today = now.date()
    assert date_range("NEXT_N_DAYS", 3, today) == (dt.date(2024, 3, 15), dt.date(2024, 3, 18))
    assert date_range("THIS_WEEK", None, today) == (dt.date(2024, 3, 10), dt.date(2024, 3, 17))
    assert date_range("LAST_MONTH", None, today) == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert date_range("N_DAYS_AGO", 2, today) == (dt.date(2024, 3, 12), dt.date(2024, 3, 13))


@pytest.mark.parametrize(("soql", "code", "words"), [
    ("SELECT Foo FROM Account", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'"),
    ("SELECT Id FROM Account WHERE Bar = 1", "INVALID_FIELD", "No such column 'Bar'"),
    ("SELECT Owner.Name FROM Account", "INVALID_FIELD", "Didn't understand relationship 'Owner'"),
    ("SELECT Id FROM Nope", "INVALID_TYPE", "sObject type 'Nope' is not supported"),
    ("SELECT Id FORM Account", "MALFORMED_QUERY", "unexpected token: 'FORM'"),
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
    ("SELECT FROM Account", "MALFORMED_QUERY", "unexpected token: 'FROM'"),
    ("SELECT Id FROM Account WHERE Name = 'x' AND Type = 'y' OR Phone = 'z'", "MALFORMED_QUERY", "'OR'"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY", "<EOF>"),
    ("SELECT Id FROM Account WHERE Name = 'bad \\q'", "MALFORMED_QUERY", "Illegal escape sequence"),
    ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD", "must be of type string"),
    ("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "INVALID_FIELD", "must be of type number"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", "INVALID_FIELD", "must be of type dateTime"),
    ("SELECT Id FROM Account WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"),
    ("SELECT Id FROM Account ORDER BY BillingAddress", "INVALID_FIELD", "can not be sorted"),
    ("SELECT Id, id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id"),
    ("SELECT Id FROM Account LIMIT x", "MALFORMED_QUERY", "unexpected token: 'x'"),
    ("SELECT Id FROM Account GROUP BY Name", "MALFORMED_QUERY", "unexpected token: 'GROUP'"),
])
def test_soql_errors(soql: str, code: str, words: str) -> None:
    err = sf_error(translate, soql)
    assert (err.status, err.error_code) == (400, code) and words in err.message
    if code == "MALFORMED_QUERY" and "ERROR at Row" in err.message:
        assert err.message.startswith("\n" + soql + "\n")


# --- org data, ids, writes, events --------------------------------------------------------------------------------
def test_seed_is_deterministic_and_default_size_is_quick() -> None:
    a, b = Org({"Account": 50, "Contact": 50}, seed=3), Org({"Account": 50, "Contact": 50}, seed=3)
    q = "SELECT Id, LastName, AccountId, Email, Birthdate, LastModifiedDate FROM Contact"
    assert a.query(q).rows == b.query(q).rows
    started = time.monotonic()
    big = Org()
    assert time.monotonic() - started < 10
    totals = {n: big.query(f"SELECT COUNT() FROM {n}").total_size for n in big.object_names()}
    assert totals == {"Account": 20000, "Contact": 50000, "Opportunity": 40000}
    stamps = [r[0] for r in big.query("SELECT LastModifiedDate FROM Account").rows]
    assert min(stamps) >= "2024-01-01" and max(stamps) < "2025-01-01"
    assert id18("001000000000001") == "001000000000001AAA" and make_id("003", 1).startswith("0035g")


def test_writes_rules_timestamps_and_events(small: Org) -> None:
    before = small.events.last_replay_id("/data/ContactChangeEvent")
    res = small.write("Contact", "insert", [{"LastName": "Ok", "Email": "ok@example.com"}, {"LastName": "REJECT x"},
                                            {"FirstName": "NoLast"}, {"Nope__c": 1}])
    assert res[0]["success"] and res[0]["id"].startswith("003")
    assert [r["errors"][0]["statusCode"] for r in res[1:]] == [
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "REQUIRED_FIELD_MISSING", "INVALID_FIELD"]
    cid = res[0]["id"]
    upd = small.write("Contact", "update", [{"Id": cid, "Phone": "1"}, {"Id": make_id("003", 9999)}])
    assert upd[0]["success"] and upd[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    created, modified = small.query(f"SELECT CreatedDate, LastModifiedDate FROM Contact WHERE Id = '{cid}'").rows[0]
    assert modified > created
    assert small.write("Contact", "delete", [{"Id": cid}])[0]["success"]
    again = small.write("Contact", "update", [{"Id": cid, "Phone": "2"}])[0]
    assert again["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    events = small.events.since("/data/ContactChangeEvent", before)
    kinds = [e["data"]["payload"]["ChangeEventHeader"]["changeType"] for e in events]
    assert kinds == ["CREATE", "UPDATE", "DELETE"]
    assert events[1]["data"]["payload"]["ChangeEventHeader"]["changedFields"] == ["Phone", "LastModifiedDate"]
    assert events[1]["data"]["payload"]["Phone"] == "1" and events[1]["channel"] == "/data/ContactChangeEvent"
    ids = [e["data"]["event"]["replayId"] for e in events]
    assert ids == sorted(ids) and ids[0] > before
    assert small.events.since("/data/ContactChangeEvent", -1) == []
    assert len(small.events.since("/data/ContactChangeEvent", -2)) >= 3
    started = time.monotonic()
    assert small.events.wait("/data/ContactChangeEvent", ids[-1], 0.2) == []
    assert time.monotonic() - started >= 0.19


# --- OAuth --------------------------------------------------------------------------------------------------------
def token(fake: FakeSalesforce, **form: str) -> httpx.Response:
    return httpx.post(f"{fake.url}/services/oauth2/token", data=form)


def assert_works(fake: FakeSalesforce, answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["instance_url"] == fake.url and body["id"].startswith(fake.url)
    assert {"access_token", "issued_at", "signature"} <= set(body)
    r = httpx.get(f"{fake.url}{V}/query", params={"q": "SELECT COUNT() FROM Account"},
                  headers={"Authorization": f"Bearer {body['access_token']}"})
    assert r.status_code == 200 and r.json()["totalSize"] >= 4500
    return body


def test_oauth_authorization_code_and_refresh(fake: FakeSalesforce) -> None:
    fake.org.auth.add_auth_code("code-1", "https://sluice.test/callback")
    good = {"grant_type": "authorization_code", "code": "code-1", "redirect_uri": "https://sluice.test/callback",
            "client_id": "sluice-client", "client_secret": "sluice-secret"}
    assert token(fake, **{**good, "client_secret": "wrong"}).json() == {
        "error": "invalid_client", "error_description": "invalid client credentials"}
    assert token(fake, **{**good, "client_id": "who"}).json()["error"] == "invalid_client_id"
    assert token(fake, **{**good, "redirect_uri": "https://x"}).json()["error"] == "redirect_uri_mismatch"
    body = assert_works(fake, token(fake, **good))
    reused = token(fake, **good)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": "sluice-client",
               "client_secret": "sluice-secret"}
    renewed = assert_works(fake, token(fake, **refresh))
    assert "refresh_token" not in renewed and renewed["access_token"] != body["access_token"]
    bad = token(fake, **{**refresh, "refresh_token": "nope"})
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_grant",
                                                     "error_description": "expired access/refresh token"}


def test_oauth_client_credentials_and_unsupported_grant(fake: FakeSalesforce) -> None:
    fake.org.auth.register_client("cc-app", "cc-secret")
    assert_works(fake, token(fake, grant_type="client_credentials", client_id="cc-app", client_secret="cc-secret"))
    wrong = token(fake, grant_type="client_credentials", client_id="cc-app", client_secret="nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    odd = token(fake, grant_type="password", username="u", password="p")
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"


def test_oauth_jwt_bearer(fake: FakeSalesforce) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    httpx.post(f"{fake.url}/__fake/jwt-key", json={"pem": pem.decode()}).raise_for_status()
    claims = {"iss": "sluice-client", "sub": "etl@sluice.test", "aud": "https://login.salesforce.com",
              "exp": int(time.time()) + 300}

    def grant(signer=key, **changes) -> httpx.Response:
        assertion = jwt.encode({**claims, **changes}, signer, algorithm="RS256")
        return token(fake, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=assertion)

    assert_works(fake, grant())
    assert_works(fake, grant(aud=fake.url))  # the login URL the deployment points at
    assert grant(other).json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    assert grant(exp=int(time.time()) - 60).json()["error"] == "invalid_grant"
    assert grant(iss="unknown").json()["error"] == "invalid_client_id"
    assert grant(aud="https://evil.example").json() == {"error": "invalid_grant",
                                                         "error_description": "audience is invalid"}


def test_expired_token_answers_invalid_session(fake: FakeSalesforce, client: httpx.Client) -> None:
    assert client.get(f"{V}/sobjects").status_code == 200
    httpx.post(f"{fake.url}/__fake/expire-tokens").raise_for_status()
    r = client.get(f"{V}/sobjects")
    assert r.status_code == 401
    assert r.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert httpx.get(f"{fake.url}{V}/sobjects").status_code == 401  # no token at all


# --- REST ---------------------------------------------------------------------------------------------------------
def test_query_paging_exact_totals(fake: FakeSalesforce, client: httpx.Client) -> None:
    r = client.get(f"{V}/query", params={"q": "SELECT Id, Name, IsActive__c, BillingAddress FROM Account"})
    body = r.json()
    assert r.headers["Sforce-Limit-Info"].startswith("api-usage=")
    assert (body["totalSize"], body["done"], len(body["records"])) == (4500, False, 2000)
    first = body["records"][0]
    assert first["attributes"] == {"type": "Account", "url": f"{V}/sobjects/Account/{first['Id']}"}
    assert isinstance(first["IsActive__c"], bool) and list(first)[1:] == ["Id", "Name", "IsActive__c",
                                                                           "BillingAddress"]
    sizes, seen, url = [2000], {rec["Id"] for rec in body["records"]}, body["nextRecordsUrl"]
    repeat = client.get(url).json()  # a retried page answers the same records
    while url:
        page = client.get(url).json()
        assert page["totalSize"] == 4500
        sizes.append(len(page["records"]))
        seen |= {rec["Id"] for rec in page["records"]}
        url = page.get("nextRecordsUrl")
        if len(sizes) == 2:
            assert page["records"] == repeat["records"]
    assert sizes == [2000, 2000, 500] and len(seen) == 4500 and page["done"] is True
    small = client.get(f"{V}/query", params={"q": "SELECT Id FROM Account LIMIT 450"},
                       headers={"Sforce-Query-Options": "batchSize=200"}).json()
    assert len(small["records"]) == 200 and small["totalSize"] == 450
    assert client.get(f"{V}/query/01gNOPE-2000").json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    count = client.get(f"{V}/query/", params={"q": "SELECT COUNT() FROM Contact"}).json()
    assert count == {"totalSize": 300, "done": True, "records": []}
    bad = client.get(f"{V}/query", params={"q": "SELECT Nope FROM Account"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_query_all_shows_soft_deleted(client: httpx.Client) -> None:
    rid = client.post(f"{V}/sobjects/Account", json={"Name": "Soon Gone"}).json()["id"]
    assert client.delete(f"{V}/sobjects/Account/{rid}").status_code == 204
    q = {"q": f"SELECT Id, IsDeleted, SystemModstamp FROM Account WHERE Id = '{rid}'"}
    assert client.get(f"{V}/query", params=q).json()["totalSize"] == 0
    everything = client.get(f"{V}/queryAll", params=q).json()
    assert everything["totalSize"] == 1 and everything["records"][0]["IsDeleted"] is True
    # REST JSON spells datetimes with +0000, as Salesforce does (Bulk CSV uses Z).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", everything["records"][0]["SystemModstamp"])
    twice = client.delete(f"{V}/sobjects/Account/{rid}")
    assert twice.status_code == 404 and twice.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    gone = client.get(f"{V}/sobjects/Account/{rid}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_single_record_crud(client: httpx.Client) -> None:
    created = client.post(f"{V}/sobjects/Contact/", json={"LastName": "Solo", "Birthdate": "1990-05-01"})
    assert created.status_code == 201 and created.json()["success"] is True
    cid = created.json()["id"]
    assert client.patch(f"{V}/sobjects/Contact/{cid}", json={"FirstName": "Han"}).status_code == 204
    rec = client.get(f"{V}/sobjects/Contact/{cid}", params={"fields": "FirstName,LastName,Birthdate"}).json()
    assert rec["FirstName"] == "Han" and rec["Birthdate"] == "1990-05-01" and rec["attributes"]["type"] == "Contact"
    rejected = client.post(f"{V}/sobjects/Contact", json={"FirstName": "x"})
    assert rejected.status_code == 400 and rejected.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert client.get(f"{V}/sobjects/Contact/{make_id('003', 99999)}").status_code == 404
    missing = client.patch(f"{V}/sobjects/Contact/{make_id('003', 99999)}", json={"FirstName": "x"})
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    dangling = client.post(f"{V}/sobjects/Contact", json={"LastName": "x", "AccountId": make_id("003", 1)})
    assert dangling.status_code == 400 and dangling.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    up = client.patch(f"{V}/sobjects/Contact/External_Id__c/SOLO-1", json={"LastName": "Upserted"})
    assert up.status_code == 201 and up.json()["created"] is True
    assert client.patch(f"{V}/sobjects/Contact/External_Id__c/SOLO-1", json={"Phone": "5"}).status_code == 200


def test_collections_insert_update_upsert_delete(client: httpx.Client) -> None:
    url = f"{V}/composite/sobjects"
    acc = {"type": "Account"}
    ins = client.post(url, json={"allOrNone": False, "records": [
        {"attributes": acc, "Name": "Coll One", "External_Id__c": "COLL-1"},
        {"attributes": acc, "Name": "REJECT two"},
        {"attributes": acc, "Name": "Coll Three", "NumberOfEmployees": 3}]}).json()
    assert [r["success"] for r in ins] == [True, False, True]
    assert ins[1] == {"id": None, "success": False, "errors": [{
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": [],
        "message": "Rejected by validation rule Reject_Marked_Records: Name starts with REJECT"}]}
    one, three = ins[0]["id"], ins[2]["id"]
    upd = client.patch(url, json={"records": [{"attributes": acc, "Id": one, "Phone": "42"},
                                              {"attributes": acc, "Id": three, "Name": "REJECT now"},
                                              {"attributes": acc, "Id": make_id("001", 999999), "Phone": "1"}]}).json()
    assert [r["success"] for r in upd] == [True, False, False]
    assert upd[2]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    ups = client.patch(f"{url}/Account/External_Id__c", json={"allOrNone": False, "records": [
        {"attributes": acc, "External_Id__c": "COLL-1", "Rating": "Hot"},
        {"attributes": acc, "External_Id__c": "COLL-4", "Name": "Coll Four"},
        {"attributes": acc, "Name": "No Key"},
        {"attributes": acc, "External_Id__c": "COLL-5", "Name": "REJECT five"}]}).json()
    assert [(r["success"], r["created"]) for r in ups] == [(True, False), (True, True), (False, False), (False, False)]
    assert ups[0]["id"] == one and ups[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    all_or_none = client.post(url, json={"allOrNone": True, "records": [
        {"attributes": acc, "Name": "Would Be Fine"}, {"attributes": acc, "Name": "REJECT"}]}).json()
    assert all_or_none[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    q = {"q": "SELECT COUNT() FROM Account WHERE Name = 'Would Be Fine'"}
    assert client.get(f"{V}/query", params=q).json()["totalSize"] == 0
    dele = client.delete(url, params={"ids": f"{one},{three},{one}", "allOrNone": "false"}).json()
    assert [r["success"] for r in dele] == [True, True, False]
    assert dele[2]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    too_many = client.post(url, json={"records": [{"attributes": acc, "Name": f"n{i}"} for i in range(201)]})
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_faults(fake: FakeSalesforce, client: httpx.Client) -> None:
    fake.org.faults.add("GET", r"/query$", 403, "REQUEST_LIMIT_EXCEEDED")
    r = client.get(f"{V}/query", params={"q": "SELECT Id FROM Account LIMIT 1"})
    assert r.status_code == 403
    assert r.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    httpx.post(f"{fake.url}/__fake/faults", json={"method": "*", "path_regex": "/sobjects$", "status": 429,
                                                  "count": 2, "retry_after": 3}).raise_for_status()
    for _ in range(2):
        r = client.get(f"{V}/sobjects")
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert client.get(f"{V}/sobjects").status_code == 200
    fake.org.faults.add("GET", "/limits", 503, retry_after=0.5)
    r = client.get(f"{V}/limits")
    assert (r.status_code, r.headers["Retry-After"], r.json()[0]["errorCode"]) == (503, "0.5", "SERVER_UNAVAILABLE")
    fake.org.faults.add("GET", "/limits", 0, delay=0.3)  # status 0: only slow
    started = time.monotonic()
    assert client.get(f"{V}/limits").status_code == 200 and time.monotonic() - started >= 0.3
    fake.org.faults.add("POST", "/oauth2/token", 503)
    assert token(fake, grant_type="client_credentials").status_code == 503


def test_describe_shape(client: httpx.Client) -> None:
    glob = client.get(f"{V}/sobjects").json()
    assert glob["maxBatchSize"] == 200 and {s["name"] for s in glob["sobjects"]} == {"Account", "Contact",
                                                                                    "Opportunity"}
    d = client.get(f"{V}/sobjects/account/describe").json()
    assert d["name"] == "Account" and d["keyPrefix"] == "001"
    fields = {f["name"]: f for f in d["fields"]}
    wanted = {"name", "label", "type", "length", "precision", "scale", "digits", "nillable", "createable",
              "updateable", "idLookup", "externalId", "defaultedOnCreate", "filterable", "sortable", "calculated",
              "compoundFieldName", "picklistValues"}
    assert all(wanted <= set(f) for f in fields.values())
    for name in ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert fields[name]["createable"] is False and fields[name]["updateable"] is False
    assert fields["Id"]["type"] == "id" and fields["Name"]["nillable"] is False
    assert fields["BillingAddress"]["type"] == "address" and fields["BillingCity"]["compoundFieldName"] == \
        "BillingAddress"
    assert fields["AnnualRevenue"]["type"] == "currency" and (fields["AnnualRevenue"]["precision"],
                                                             fields["AnnualRevenue"]["scale"]) == (18, 2)
    assert [p["value"] for p in fields["Type"]["picklistValues"]] == [
        "Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]
    ext = fields["External_Id__c"]
    assert ext["externalId"] and ext["idLookup"] and ext["unique"] and ext["custom"]
    opp = {f["name"]: f for f in client.get(f"{V}/sobjects/Opportunity/describe").json()["fields"]}
    assert opp["CloseDate"]["type"] == "date" and opp["Probability"]["type"] == "percent"
    assert opp["AccountId"]["referenceTo"] == ["Account"]
    missing = client.get(f"{V}/sobjects/Nope/describe")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    versions = client.get("/services/data/").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions


def test_admin_counters_and_seed(fake: FakeSalesforce) -> None:
    httpx.post(f"{fake.url}/__fake/reset-counters").raise_for_status()
    tok = httpx.post(f"{fake.url}/__fake/token", json={}).json()["access_token"]
    httpx.get(f"{fake.url}{V}/sobjects/Account/describe", headers={"Authorization": f"Bearer {tok}"})
    counters = httpx.get(f"{fake.url}/__fake/counters").json()
    assert counters["counters"] == {"describe": 1} and counters["api_usage"] >= 1
    httpx.post(f"{fake.url}/__fake/cometd-timeout", json={"seconds": 1.5}).raise_for_status()
    assert fake.org.cometd_timeout == 1.5
    with FakeSalesforce({"Account": 10}) as other:
        httpx.post(f"{other.url}/__fake/seed", json={"counts": {"Account": 3}}).raise_for_status()
        assert other.org.query("SELECT COUNT() FROM Account").total_size == 3


class _PlainHttp(HTTPAdapter):
    """simple_salesforce always builds https:// URLs from the instance; the fake serves plain HTTP."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


def test_simple_salesforce_client(fake: FakeSalesforce) -> None:
    from simple_salesforce import Salesforce

    session = requests.Session()
    session.mount("https://", _PlainHttp())
    sf = Salesforce(instance_url=fake.url, session_id=fake.token(), session=session, version="59.0")
    everything = sf.query_all("SELECT Id, Name FROM Account WHERE IsDeleted = false")
    assert everything["totalSize"] == len(everything["records"]) >= 4500
    assert sf.Account.describe()["name"] == "Account"
    created = sf.Account.create({"Name": "Via simple_salesforce"})
    assert created["success"] and sf.Account.get(created["id"])["Name"] == "Via simple_salesforce"
    assert sf.Account.update(created["id"], {"Phone": "7"}) == 204
    assert sf.Account.delete(created["id"]) == 204
    assert sf.query_all(f"SELECT Id FROM Account WHERE Id = '{created['id']}'", include_deleted=True)["totalSize"] == 1


def test_api_usage_header_and_daily_limit() -> None:
    with FakeSalesforce({"Account": 1}) as other, httpx.Client(
            base_url=other.url, headers={"Authorization": f"Bearer {other.token()}"}) as c:
        assert c.get(f"{V}/limits").headers["Sforce-Limit-Info"] == "api-usage=1/100000"
        assert c.get(f"{V}/limits").json()["DailyApiRequests"] == {"Max": 100000, "Remaining": 99998}
        httpx.post(f"{other.url}/__fake/api-limit", json={"max": 3}).raise_for_status()
        assert c.get(f"{V}/sobjects").status_code == 200
        over = c.get(f"{V}/sobjects")
        assert over.status_code == 403 and over.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        other.org.write("Account", "insert", [{"Name": "Evented"}])
        everything = other.org.events.since("/data/ChangeEvents", -2)
        assert [e["channel"] for e in everything] == ["/data/ChangeEvents"]
        assert everything[0]["data"]["payload"]["Name"] == "Evented"
