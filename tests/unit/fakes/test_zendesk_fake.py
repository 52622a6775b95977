"""The fake Zendesk driven by Zendesk's own Python client (zenpy): paging, exports, auth, 429s, bulk writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Organization, Ticket, User
from zenpy.lib.exception import APIException, TooManyValuesException

from tests.fakes.zendesk.account import Account
from tests.fakes.zendesk.seed import USER_BASE, seed_email
from tests.fakes.zendesk.server import FakeZendesk
from tests.support.tls import certificates, tls_env

TICKETS, USERS, ORGS = 450, 150, 30


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeZendesk]:
    with FakeZendesk(tickets=TICKETS, users=USERS, organizations=ORGS) as server:
        yield server


@pytest.fixture(autouse=True)
def netloc(fake: FakeZendesk, monkeypatch: pytest.MonkeyPatch) -> None:
    # zenpy builds https://{subdomain}.zendesk.com URLs; this documented override points it at the fake.
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", fake.url.removeprefix("https://"))
    for name, value in tls_env().items():  # requests lets these override a session's `verify`
        monkeypatch.setenv(name, value)


def session() -> requests.Session:
    s = requests.Session()
    s.verify = certificates().ca_file
    return s


def client(fake: FakeZendesk, oauth: str | None = None, **auth: str) -> Zenpy:
    """A zenpy client for the fake (OAuth bearer by default; `email=`, `token=` for API-token auth)."""
    if not auth:
        auth = {"oauth_token": oauth or fake.token()}
    return Zenpy(subdomain="acme", session=session(), disable_cache=True, **auth)


def wait_for_job(zen: Zenpy, job_id: str) -> list[dict]:
    """Poll a job status until it completes; its results as plain dicts."""
    for _ in range(20):
        job = zen.job_status(id=job_id)
        if job.status == "completed":
            return [r.to_dict() for r in job.results]
    raise AssertionError("job never completed")


# --- reads ---------------------------------------------------------------------------------------------------------
def test_cursor_pagination_lists_every_record_once(fake: FakeZendesk) -> None:
    zen = client(fake)
    fake.state.log.clear()
    ids = [t.id for t in zen.tickets()]
    assert ids == list(range(1, TICKETS + 1))
    pages = fake.state.log.matching("/api/v2/tickets")
    assert len(pages) == 5 and pages[0]["query"]["page[size]"] == ["100"] and "page[after]" in pages[1]["query"]
    users = list(zen.users())
    assert len({u.id for u in users}) == USERS and users[0].id == USER_BASE
    assert isinstance(users[0].user_fields, dict) and "plan" in users[0].user_fields
    assert len(list(zen.organizations())) == ORGS and len(list(zen.groups())) == 6


def test_ticket_and_user_fields_describe_custom_fields(fake: FakeZendesk) -> None:
    zen = client(fake)
    fields = list(zen.ticket_fields())  # zenpy pages these with offset pagination
    custom = {f.id: f for f in fields if f.removable}
    ticket = zen.tickets(id=7)
    assert {c["id"] for c in ticket.custom_fields} == set(custom)
    product = next(f for f in custom.values() if f.type == "tagger")
    assert [o.value for o in product.custom_field_options] == ["printer", "scanner", "software", "über_device"]
    user_keys = {f.key for f in zen.user_fields()}
    assert user_keys == set(zen.users(id=USER_BASE + 3).user_fields)


def test_offset_pagination_is_the_legacy_default(fake: FakeZendesk) -> None:
    s = session()
    s.headers["Authorization"] = f"Bearer {fake.token()}"
    page = s.get(f"{fake.url}/api/v2/users.json", params={"per_page": 40, "page": 4}).json()
    assert page["count"] == USERS and len(page["users"]) == 30 and page["next_page"] is None
    assert "page=3" in page["previous_page"]
    bad = s.get(f"{fake.url}/api/v2/tickets.json", params={"page[size]": 101})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidPaginationParameter"


def test_incremental_cursor_export_and_changes(fake: FakeZendesk) -> None:
    zen = client(fake)
    export = zen.tickets.incremental(start_time=0)
    assert len({t.id for t in export}) == TICKETS
    cursor = export.after_cursor
    assert export.end_of_stream is True and cursor
    # A change shows up after the cursor once it is older than a minute (the docs' exclusion window).
    job = zen.tickets.update([Ticket(id=12, priority="urgent", custom_fields=[{"id": 360010000001, "value": 42}])])
    assert wait_for_job(zen, job.id)[0]["status"] == "Updated"
    assert [t.id for t in zen.tickets.incremental(cursor=cursor)] == []
    fake.state.advance(61)
    changed = list(zen.tickets.incremental(cursor=cursor))
    assert [t.id for t in changed] == [12] and changed[0].priority == "urgent"
    assert {"id": 360010000001, "value": 42} in changed[0].custom_fields
    users = zen.users.incremental(start_time=0)
    assert len({u.id for u in users}) == USERS


def test_time_based_export_pages_with_next_page_and_end_time(fake: FakeZendesk) -> None:
    zen = client(fake)
    s = session()
    s.headers["Authorization"] = f"Bearer {fake.token()}"
    first = s.get(f"{fake.url}/api/v2/incremental/organizations.json", params={"start_time": 0, "per_page": 10})
    body = first.json()
    assert body["count"] == 10 and body["end_of_stream"] is False and f"start_time={body['end_time']}" in \
        body["next_page"]
    second = s.get(body["next_page"]).json()
    assert second["organizations"][0]["id"] == body["organizations"][-1]["id"]  # the documented duplicate
    assert len({o.id for o in zen.organizations.incremental(start_time=0)}) == ORGS
    recent = s.get(f"{fake.url}/api/v2/incremental/tickets/cursor.json", params={"start_time": int(fake.state.now())})
    assert recent.status_code == 400 and "Too recent start_time" in recent.json()["description"]


# --- auth ----------------------------------------------------------------------------------------------------------
def test_auth_failures_and_api_tokens(fake: FakeZendesk) -> None:
    with pytest.raises(APIException) as bad:
        client(fake, oauth="not-a-token").users.me()
    assert bad.value.response.status_code == 401 and bad.value.response.json()["error"] == "invalid_token"
    assert client(fake, email="admin@company.example", token="api-token-1").users.me().role == "admin"
    with pytest.raises(APIException) as wrong:
        client(fake, email="admin@company.example", token="nope").users.me()
    assert wrong.value.response.json() == {"error": "Couldn't authenticate you"}
    reader = client(fake, oauth=fake.token(scope="read"))
    with pytest.raises(APIException) as forbidden:
        reader.tickets.create([Ticket(subject="x", comment={"body": "y"})])
    assert forbidden.value.response.status_code == 403 and forbidden.value.response.json()["error"] == "Forbidden"


def test_oauth_code_grant_refresh_and_expiry(fake: FakeZendesk) -> None:
    token_url = f"{fake.url}/oauth/tokens"
    code = fake.state.auth.authorization_code("sluice", "read write")
    granted = session().post(token_url, json={"grant_type": "authorization_code", "code": code,
                                              "client_id": "sluice", "client_secret": "sluice-secret",
                                              "expires_in": 3600, "refresh_token_expires_in": 604800})
    pair = granted.json()
    assert granted.status_code == 200 and pair["token_type"] == "bearer" and pair["expires_in"] == 3600
    zen = client(fake, oauth=pair["access_token"])
    assert zen.users.me().email == "admin@company.example"
    fake.state.expire_tokens()
    with pytest.raises(APIException) as expired:
        zen.users.me()
    assert expired.value.response.status_code == 401
    refreshed = session().post(token_url, json={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"],
                                                "client_id": "sluice", "client_secret": "sluice-secret"}).json()
    assert client(fake, oauth=refreshed["access_token"]).users.me().role == "admin"
    again = session().post(token_url, json={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"],
                                            "client_id": "sluice", "client_secret": "sluice-secret"})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong = session().post(token_url, json={"grant_type": "client_credentials", "client_id": "sluice",
                                            "client_secret": "bad"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_the_authorization_page_redirects_back_with_a_code_or_a_denial(fake: FakeZendesk) -> None:
    # The browser's half of the code grant (requests_oauthlib builds the same URL; requests follows the form).
    page = f"{fake.url}/oauth/authorizations/new"
    params = {"response_type": "code", "client_id": "sluice", "redirect_uri": "https://app.example/cb?x=1",
              "scope": "read write", "state": "s-1"}
    shown = session().get(page, params=params)
    assert shown.status_code == 200 and "sluice wants to access" in shown.text
    allowed = session().post(page, data={**params, "decision": "allow"}, allow_redirects=False)
    assert allowed.status_code == 302
    back = parse_qs(urlsplit(allowed.headers["location"]).query)
    assert back["state"] == ["s-1"] and back["x"] == ["1"]
    pair = session().post(f"{fake.url}/oauth/tokens", json={
        "grant_type": "authorization_code", "code": back["code"][0], "client_id": "sluice",
        "client_secret": "sluice-secret", "redirect_uri": params["redirect_uri"]})
    assert pair.status_code == 200 and client(fake, oauth=pair.json()["access_token"]).users.me().role == "admin"
    denied = session().post(page, data={**params, "decision": "deny"}, allow_redirects=False)
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    assert session().get(page, params={**params, "client_id": "nobody"}).status_code == 400
    assert session().get(page, params={**params, "response_type": "token"}).status_code == 400


# --- rate limits ---------------------------------------------------------------------------------------------------
def test_429_with_retry_after_is_retried_by_zenpy(fake: FakeZendesk) -> None:
    zen = client(fake)
    fake.state.log.clear()
    fake.state.throttle_next(1, retry_after=1, path="/api/v2/groups")
    started = time.monotonic()
    assert len(list(zen.groups())) == 6
    assert time.monotonic() - started >= 1  # zenpy waited Retry-After before asking again
    assert len(fake.state.log.matching("/api/v2/groups")) == 2
    s = session()
    s.headers["Authorization"] = f"Bearer {fake.token()}"
    fake.state.throttle_next(1, retry_after=7)
    limited = s.get(f"{fake.url}/api/v2/groups.json")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.text == "Number of allowed API requests per minute exceeded"
    ok = s.get(f"{fake.url}/api/v2/groups.json")
    assert ok.headers["X-Rate-Limit"] == "700" and int(ok.headers["X-Rate-Limit-Remaining"]) < 700


# --- writes --------------------------------------------------------------------------------------------------------
def test_bulk_create_with_a_rejected_record(fake: FakeZendesk) -> None:
    zen = client(fake)
    fake.state.reject("tickets", "subject", "REJECT ME", "Subject: is on the block list")
    job = zen.tickets.create([Ticket(subject="Ça marche", comment={"body": "Bonjour"}, requester_id=USER_BASE + 1,
                                     custom_fields=[{"id": 360010000004, "value": True}]),
                              Ticket(subject="REJECT ME", comment={"body": "x"}),
                              Ticket(subject="no body"),
                              Ticket(subject="bad status", comment={"body": "x"}, status="archived")])
    assert job.status == "queued"
    results = wait_for_job(zen, job.id)
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["success"] is True and results[0]["status"] == "Created"
    assert [(r["error"], r["details"]) for r in results[1:3]] == [
        ("RecordInvalid", "Subject: is on the block list"), ("RecordInvalid", "Description: cannot be blank")]
    assert "Status" in results[3]["details"]
    created = zen.tickets(id=results[0]["id"])
    assert created.subject == "Ça marche" and created.description == "Bonjour" and created.status == "new"
    assert {"id": 360010000004, "value": True} in created.custom_fields


def test_users_create_or_update_many_matches_email_and_external_id(fake: FakeZendesk) -> None:
    zen = client(fake)
    job = zen.users.create_or_update([User(email=seed_email(5), name="Renamed Five"),
                                      User(email="new.person@example.com", name="Nouvelle Personne",
                                           external_id="crm-1", user_fields={"plan": "growth"}),
                                      User(email=seed_email(6), name="")])
    results = wait_for_job(zen, job.id)
    assert [r["status"] for r in results] == ["Updated", "Created", "Failed"]
    assert results[0]["id"] == USER_BASE + 5 and zen.users(id=USER_BASE + 5).name == "Renamed Five"
    assert results[2]["error"] == "RecordInvalid" and "Name" in results[2]["details"]
    again = wait_for_job(zen, zen.users.create_or_update([User(external_id="CRM-1", name="Same Person")]).id)
    assert again[0]["id"] == results[1]["id"] and again[0]["status"] == "Updated"
    taken = wait_for_job(zen, zen.users.create([User(email=seed_email(7), name="Dup")]).id)
    assert "already being used" in taken[0]["details"]


def test_single_create_and_record_invalid(fake: FakeZendesk) -> None:
    zen = client(fake)
    audit = zen.tickets.create(Ticket(subject="Einzeln", comment={"body": "ein Ticket"}))
    assert audit.ticket.subject == "Einzeln" and audit.ticket.description == "ein Ticket"
    with pytest.raises(APIException) as invalid:
        zen.users.create(User(name="No Mail", email="not-an-email"))
    body = invalid.value.response.json()
    assert invalid.value.response.status_code == 422 and body["error"] == "RecordInvalid"
    assert body["details"]["email"][0]["description"] == "Email: not-an-email is not properly formatted"


def test_update_many_and_organizations(fake: FakeZendesk) -> None:
    zen = client(fake)
    open_id = next(t.id for t in zen.tickets() if t.status != "closed")
    closed_id = next(t.id for t in zen.tickets() if t.status == "closed")
    job = wait_for_job(zen, zen.tickets.update([Ticket(id=open_id, tags=["über"]), Ticket(id=999_999, subject="x"),
                                                Ticket(id=closed_id, subject="reopen")]).id)
    assert [r.get("success") for r in job] == [True, False, False]
    assert job[1]["error"] == "RecordNotFound" and "closed prevents ticket update" in job[2]["details"]
    assert zen.tickets(id=open_id).tags == ["über"]
    orgs = wait_for_job(zen, zen.organizations.create([Organization(name="Nordlys Ny"), Organization(name="")]).id)
    assert [r["status"] for r in orgs] == ["Created", "Failed"]
    with pytest.raises(TooManyValuesException):
        zen.tickets.create([Ticket(subject=str(n), comment={"body": "b"}) for n in range(101)])


def test_seed_scales_lazily_and_is_deterministic() -> None:
    started = time.monotonic()
    big = Account(tickets=500_000, users=50_000)
    assert time.monotonic() - started < 1
    tickets = big.collections["tickets"]
    last = tickets.get(500_000, "https://x")
    assert last is not None and last["id"] == 500_000 and tickets.get(500_001, "https://x") is None
    middle = next(iter(tickets.by_change((last["generated_timestamp"] - 1, -1), "https://x")))
    assert middle[1]["id"] == 500_000
    assert Account(tickets=10).collections["tickets"].get(4, "u") == Account(tickets=10).collections["tickets"].get(
        4, "u")
