"""The fake ServiceNow instance, driven by pysnow (ServiceNow's community Python client) and requests.

pysnow takes `host="127.0.0.1:PORT"` and speaks https, so it talks to the fake unchanged; it trusts the
test CA through REQUESTS_CA_BUNDLE. pysnow does not follow `Link` headers, so paging by `Link` uses requests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pysnow
import pytest
import requests

from tests.fakes.servicenow.encoded_query import split_terms
from tests.fakes.servicenow.instance import Instance
from tests.fakes.servicenow.server import FakeServiceNow
from tests.support.tls import tls_env

COUNTS = {"sys_user": 40, "sys_user_group": 8, "cmdb_ci": 10, "cmdb_ci_server": 10, "problem": 20,
          "incident": 250, "change_request": 30}
USER, PASSWORD = FakeServiceNow.USER, FakeServiceNow.PASSWORD


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServiceNow]:
    with FakeServiceNow(COUNTS) as server:
        yield server


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def snow(fake: FakeServiceNow) -> Iterator[pysnow.Client]:
    client = pysnow.Client(host=fake.host, user=USER, password=PASSWORD)
    yield client
    client.close()


def session(fake: FakeServiceNow, user: str = USER, password: str = PASSWORD) -> requests.Session:
    s = requests.Session()
    s.auth = (user, password)
    s.headers["Accept"] = "application/json"
    return s


def links(header: str) -> dict[str, str]:
    """rel -> url of a `Link` header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;rel="(\w+)"', header)}


# --- reading with pysnow ------------------------------------------------------------------------------------------
def test_pysnow_reads_a_page_with_reference_objects_and_string_values(snow: pysnow.Client, fake: FakeServiceNow):
    response = snow.resource(api_path="/table/incident").get(query="ORDERBYnumber", limit=5)
    records = response.all()
    assert [r["number"] for r in records] == [f"INC{10001 + i:07d}" for i in range(5)]
    assert response.headers["X-Total-Count"] == "250"
    assert all(isinstance(v, (str, dict)) for r in records for v in r.values())
    caller = next(r["caller_id"] for r in records if r["caller_id"])
    assert caller["link"] == f"{fake.url}/api/now/table/sys_user/{caller['value']}"
    assert re.fullmatch(r"[0-9a-f]{32}", caller["value"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", records[0]["sys_updated_on"])
    # Inherited task fields and the incident's own fields are both on the record.
    assert {"short_description", "priority", "sys_class_name", "caller_id", "category"} <= set(records[0])


def test_pysnow_query_builder_push_down_matches_a_client_side_filter(snow: pysnow.Client):
    since = dt.datetime(2023, 9, 1)
    query = (pysnow.QueryBuilder().field("priority").less_than_or_equal(2).AND()
             .field("sys_updated_on").greater_than(since).AND().field("active").equals("true"))
    pushed = snow.resource(api_path="/table/incident").get(query=query, fields=["number"]).all()
    everything = snow.resource(api_path="/table/incident").get(query="", fields=[
        "number", "priority", "sys_updated_on", "active"]).all()
    expected = [r["number"] for r in everything if int(r["priority"]) <= 2 and r["active"] == "true"
                and r["sys_updated_on"] > "2023-09-01 00:00:00"]
    assert [r["number"] for r in pushed] == expected and expected
    assert all(set(r) == {"number"} for r in pushed)


def test_pysnow_between_dates_and_in_lists(snow: pysnow.Client):
    resource = snow.resource(api_path="/table/incident")
    between = pysnow.QueryBuilder().field("opened_at").between(dt.datetime(2023, 3, 1), dt.datetime(2023, 6, 1))
    rows = resource.get(query=between, fields=["opened_at"]).all()
    assert rows and all("2023-03-01 00:00:00" <= r["opened_at"] <= "2023-06-01 00:00:00" for r in rows)
    in_list = resource.get(query=pysnow.QueryBuilder().field("state").equals(["1", "2"]), fields=["state"]).all()
    assert in_list and {r["state"] for r in in_list} <= {"1", "2"}


def test_task_returns_every_child_class_and_child_tables_only_their_own(snow: pysnow.Client):
    tasks = snow.resource(api_path="/table/task").get(fields=["sys_class_name"]).all()
    assert len(tasks) == 300
    assert {r["sys_class_name"] for r in tasks} == {"incident", "problem", "change_request"}
    assert "caller_id" not in snow.resource(api_path="/table/task").get(limit=1).all()[0]


def test_single_record_by_sys_id(snow: pysnow.Client, fake: FakeServiceNow):
    first = snow.resource(api_path="/table/problem").get(limit=1).all()[0]
    one = session(fake).get(f"{fake.url}/api/now/table/problem/{first['sys_id']}").json()["result"]
    assert one == first
    missing = session(fake).get(f"{fake.url}/api/now/table/problem/{'0' * 32}")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "No Record found",
                                        "detail": "Record doesn't exist or ACL restricts the record retrieval"},
                              "status": "failure"}


def test_display_values_and_reference_link_options(fake: FakeServiceNow):
    s = session(fake)
    url = f"{fake.url}/api/now/table/incident"
    params = {"sysparm_query": "caller_idISNOTEMPTY^priority=1", "sysparm_fields": "caller_id,priority,caller_id.name",
              "sysparm_limit": "1"}
    raw = s.get(url, params=params).json()["result"][0]
    shown = s.get(url, params={**params, "sysparm_display_value": "true"}).json()["result"][0]
    both = s.get(url, params={**params, "sysparm_display_value": "all",
                              "sysparm_exclude_reference_link": "true"}).json()["result"][0]
    assert raw["priority"] == "1" and shown["priority"] == "1 - Critical"
    assert shown["caller_id"]["display_value"] == raw["caller_id.name"] != ""
    assert both["caller_id"] == {"display_value": raw["caller_id.name"], "value": raw["caller_id"]["value"]}
    assert both["priority"] == {"display_value": "1 - Critical", "value": "1"}
    plain = s.get(url, params={**params, "sysparm_exclude_reference_link": "true"}).json()["result"][0]
    assert plain["caller_id"] == raw["caller_id"]["value"]


def test_empty_fields_are_empty_strings_and_unicode_survives(snow: pysnow.Client):
    users = snow.resource(api_path="/table/sys_user").get().all()
    assert any(u["email"] == "" for u in users)
    assert any(u["manager"] == "" for u in users)
    assert any(not u["name"].isascii() for u in users)


# --- paging -------------------------------------------------------------------------------------------------------
def test_link_header_paging_visits_every_record_once(fake: FakeServiceNow):
    s = session(fake)
    url: str | None = f"{fake.url}/api/now/table/incident?sysparm_limit=60&sysparm_query=ORDERBYsys_id"
    seen: list[str] = []
    pages = 0
    while url:
        response = s.get(url)
        assert response.status_code == 200
        seen += [r["sys_id"] for r in response.json()["result"]]
        rels = links(response.headers["Link"])
        assert "first" in rels and "last" in rels and ("prev" in rels) == (pages > 0)
        url = rels.get("next")
        pages += 1
    assert pages == 5 and len(seen) == len(set(seen)) == 250
    assert "sysparm_offset=240" in rels["last"] and "sysparm_query=ORDERBYsys_id" in rels["last"]


def test_one_page_has_no_link_header_and_pagination_header_can_be_suppressed(fake: FakeServiceNow):
    s = session(fake)
    small = s.get(f"{fake.url}/api/now/table/sys_user_group", params={"sysparm_limit": "50"})
    assert "Link" not in small.headers and small.headers["X-Total-Count"] == "8"
    quiet = s.get(f"{fake.url}/api/now/table/incident",
                  params={"sysparm_limit": "10", "sysparm_suppress_pagination_header": "true"})
    assert "Link" not in quiet.headers and len(quiet.json()["result"]) == 10
    beyond = s.get(f"{fake.url}/api/now/table/incident", params={"sysparm_offset": "5000"})
    assert beyond.json() == {"result": []}
    negative = s.get(f"{fake.url}/api/now/table/incident", params={"sysparm_offset": "-1"})
    assert negative.status_code == 400 and negative.json()["status"] == "failure"


# --- metadata -----------------------------------------------------------------------------------------------------
def test_sys_db_object_and_sys_dictionary_describe_tables_and_inheritance(snow: pysnow.Client):
    tables = {t["name"]: t for t in snow.resource(api_path="/table/sys_db_object").get().all()}
    assert tables["incident"]["super_class"]["value"] == tables["task"]["sys_id"]
    assert tables["task"]["super_class"] == ""
    dictionary = snow.resource(api_path="/table/sys_dictionary")
    own = dictionary.get(query="name=incident^elementISNOTEMPTY").all()
    assert "caller_id" in {e["element"] for e in own} and "short_description" not in {e["element"] for e in own}
    inherited = {e["element"]: e for e in dictionary.get(query="name=task").all()}
    assert inherited["sys_id"]["primary"] == "true"
    assert inherited["assigned_to"]["internal_type"]["value"] == "reference"
    assert inherited["assigned_to"]["reference"]["value"] == "sys_user"
    assert inherited["priority"]["internal_type"]["value"] == "integer"
    assert inherited[""]["internal_type"]["value"] == "collection"  # the table's own entry


# --- failures -----------------------------------------------------------------------------------------------------
def test_wrong_password_is_401_with_servicenow_error_body(fake: FakeServiceNow):
    bad = pysnow.Client(host=fake.host, user=USER, password="wrong")
    with pytest.raises(requests.HTTPError) as info:
        bad.resource(api_path="/table/incident").get(limit=1).all()
    assert info.value.response.status_code == 401
    assert info.value.response.json() == {"error": {"message": "User Not Authenticated",
                                                    "detail": "Required to provide Auth information"},
                                          "status": "failure"}


def test_acl_unknown_table_and_unknown_path(fake: FakeServiceNow):
    itil = session(fake, "itil.user", "Itil-user-pw1")
    denied = itil.get(f"{fake.url}/api/now/table/sys_dictionary")
    assert denied.status_code == 403 and denied.json()["error"]["message"] == "User Not Authorized"
    assert itil.get(f"{fake.url}/api/now/table/incident", params={"sysparm_limit": "1"}).status_code == 200
    unknown = session(fake).get(f"{fake.url}/api/now/table/u_nope")
    assert unknown.status_code == 400 and unknown.json()["error"]["message"] == "Invalid table u_nope"


def test_forced_429_carries_retry_after_then_the_request_succeeds(snow: pysnow.Client, fake: FakeServiceNow):
    fake.state.throttle_next(1, retry_after=2)
    with pytest.raises(requests.HTTPError) as info:
        snow.resource(api_path="/table/incident").get(limit=1).all()
    answer = info.value.response
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert answer.json()["status"] == "failure" and "rate limit" in answer.json()["error"]["message"]
    assert len(snow.resource(api_path="/table/incident").get(limit=1).all()) == 1


def test_rate_limit_rule_headers_and_429_when_exhausted(fake: FakeServiceNow):
    fake.state.rate_limit(3)
    try:
        s = session(fake)
        answers = [s.get(f"{fake.url}/api/now/table/sys_user_group") for _ in range(4)]
    finally:
        fake.state.rate_limit(None)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert int(answers[3].headers["Retry-After"]) > 0 and int(answers[3].headers["X-RateLimit-Reset"]) > 0


# --- OAuth --------------------------------------------------------------------------------------------------------
def test_oauth_password_grant_token_expiry_and_refresh(fake: FakeServiceNow):
    client = pysnow.OAuthClient(client_id=FakeServiceNow.CLIENT_ID, client_secret=FakeServiceNow.CLIENT_SECRET,
                                host=fake.host)
    token = client.generate_token(USER, PASSWORD)
    assert token["token_type"] == "Bearer" and token["scope"] == ["useraccount"] and 0 < token["expires_in"] < 1800
    client.set_token(token)
    assert len(client.resource(api_path="/table/incident").get(limit=2).all()) == 2

    fake.state.auth.expire_tokens()
    with pytest.raises(requests.HTTPError) as info:
        client.resource(api_path="/table/incident").get(limit=1).all()
    assert info.value.response.status_code == 401

    # pysnow refreshes through the refresh_token grant once it knows the token expired.
    refreshed: list[dict] = []
    client.token_updater = refreshed.append
    client.set_token({**token, "expires_at": 1.0})
    assert len(client.resource(api_path="/table/incident").get(limit=1).all()) == 1
    assert refreshed and refreshed[0]["access_token"] != token["access_token"]
    assert refreshed[0]["refresh_token"] == token["refresh_token"]


def test_oauth_bad_client_secret_and_bad_password(fake: FakeServiceNow):
    url = f"{fake.url}/oauth_token.do"
    form = {"grant_type": "password", "client_id": FakeServiceNow.CLIENT_ID, "client_secret": "nope",
            "username": USER, "password": PASSWORD}
    bad_secret = requests.post(url, data=form)
    assert bad_secret.status_code == 401 and bad_secret.json() == {"error_description": "access_denied",
                                                                    "error": "server_error"}
    bad_password = requests.post(url, data={**form, "client_secret": FakeServiceNow.CLIENT_SECRET, "password": "x"})
    assert bad_password.status_code == 401


def test_authorization_code_grant(fake: FakeServiceNow):
    fake.state.auth.add_auth_code("code-1", "https://example.com/cb")
    form = {"grant_type": "authorization_code", "client_id": FakeServiceNow.CLIENT_ID,
            "client_secret": FakeServiceNow.CLIENT_SECRET, "code": "code-1", "redirect_uri": "https://example.com/cb"}
    first = requests.post(f"{fake.url}/oauth_token.do", data=form)
    assert first.status_code == 200 and first.json()["refresh_token"]
    assert requests.post(f"{fake.url}/oauth_token.do", data=form).status_code == 401  # codes are single use


# --- writes and later updates -------------------------------------------------------------------------------------
def test_pysnow_create_update_delete(snow: pysnow.Client):
    incidents = snow.resource(api_path="/table/incident")
    created = incidents.create({"short_description": "Créé par pysnow ✓", "priority": "2", "bogus_field": "x"}).one()
    assert created["number"].startswith("INC") and created["sys_mod_count"] == "0"
    assert created["sys_class_name"] == "incident" and "bogus_field" not in created
    updated = incidents.update({"sys_id": created["sys_id"]}, {"state": "2"}).one()
    assert updated["state"] == "2" and updated["sys_mod_count"] == "1"
    assert incidents.delete({"sys_id": created["sys_id"]})["status"] == "record deleted"
    assert incidents.get(query={"sys_id": created["sys_id"]}).all() == []


def test_touch_updates_records_for_incremental_pulls(fake: FakeServiceNow, snow: pysnow.Client):
    before = fake.state.stamp()
    ids = fake.state.touch("incident", 3, {"state": "7"})
    changed = snow.resource(api_path="/table/incident").get(query=f"sys_updated_on>={before}").all()
    assert sorted(r["sys_id"] for r in changed) == sorted(ids)
    assert all(r["state"] == "7" and r["sys_updated_by"] == "integration.user" for r in changed)


def test_request_log_shows_push_down(fake: FakeServiceNow):
    fake.state.log.clear()
    params = {"sysparm_query": "priority=1", "sysparm_limit": "3"}
    session(fake).get(f"{fake.url}/api/now/table/incident", params=params)
    (entry,) = fake.state.log.matching("/api/now/table/incident")
    assert entry["query"]["sysparm_query"] == ["priority=1"] and entry["query"]["sysparm_limit"] == ["3"]


# --- encoded queries ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def instance() -> Instance:
    return Instance(COUNTS)


def numbers(instance: Instance, query: str) -> set[str]:
    return {str(r["number"]) for r in instance.query("incident", query, 10000, 0)[1]}


def everything(instance: Instance) -> list[dict]:
    return instance.query("incident", "", 10000, 0)[1]


@pytest.mark.parametrize(("query", "keep"), [
    ("priority=1", lambda r: r["priority"] == 1),
    ("priority!=1", lambda r: r["priority"] != 1),
    ("priority>3", lambda r: r["priority"] > 3),
    ("priority>=3^impact<2", lambda r: r["priority"] >= 3 and r["impact"] < 2),
    ("priority=1^ORpriority=5", lambda r: r["priority"] in (1, 5)),
    ("state=7^priority=1^NQstate=1^priority=5", lambda r: (r["state"], r["priority"]) in ((7, 1), (1, 5))),
    ("short_descriptionLIKEvpn", lambda r: "vpn" in r["short_description"].lower()),
    ("short_descriptionNOTLIKEvpn", lambda r: "vpn" not in r["short_description"].lower()),
    ("short_descriptionSTARTSWITHemail", lambda r: r["short_description"].lower().startswith("email")),
    ("short_descriptionENDSWITHcheck", lambda r: r["short_description"].lower().endswith("check")),
    ("categoryINnetwork,database", lambda r: r["category"] in ("network", "database")),
    ("categoryNOT INnetwork,database", lambda r: r["category"] not in ("network", "database")),
    ("closed_atISEMPTY", lambda r: r["closed_at"] is None),
    ("closed_atISNOTEMPTY", lambda r: r["closed_at"] is not None),
    ("priorityBETWEEN2@3", lambda r: 2 <= r["priority"] <= 3),
    ("sys_updated_on>2024-01-01", lambda r: r["sys_updated_on"] > "2024-01-01 00:00:00"),
    ("sys_updated_on<=javascript:gs.dateGenerate('2023-06-01','12:00:00')",
     lambda r: r["sys_updated_on"] <= "2023-06-01 12:00:00"),
    ("active=true", lambda r: r["active"] == "true"),
    ("short_descriptionLIKEA^^B", lambda r: "a^b" in r["short_description"].lower()),
    ("no_such_field=1^priority=2", lambda r: r["priority"] == 2),  # invalid conditions are ignored
])
def test_encoded_query_operators(instance: Instance, query: str, keep) -> None:
    expected = {r["number"] for r in everything(instance) if keep(r)}
    assert expected, query
    assert numbers(instance, query) == expected


def test_order_by_and_dot_walk(instance: Instance) -> None:
    rows = instance.query("incident", "ORDERBYDESCpriority^ORDERBYnumber", 10000, 0)[1]
    assert [(r["priority"], r["number"]) for r in rows] == sorted(
        ((r["priority"], r["number"]) for r in rows), key=lambda p: (-p[0], p[1]))
    users = {r["sys_id"]: r["name"] for r in instance.query("sys_user", "", 10000, 0)[1]}
    walked = numbers(instance, "caller_id.nameSTARTSWITHbeth")
    assert walked == {r["number"] for r in everything(instance)
                      if r["caller_id"] and users[r["caller_id"]].lower().startswith("beth")}


def test_invalid_query_can_return_no_rows_instead(instance: Instance) -> None:
    instance.invalid_query_returns_no_rows = True
    try:
        assert instance.query("incident", "no_such_field=1", 10, 0)[0] == 0
    finally:
        instance.invalid_query_returns_no_rows = False


def test_caret_escape_splitting() -> None:
    assert split_terms("a=1^^2^b=3^ORc=4") == ["a=1^2", "b=3", "ORc=4"]


def test_dot_walk_through_a_name_keyed_reference(instance: Instance) -> None:
    _, entries = instance.query("sys_dictionary", "reference.label=Group", 100, 0)
    assert entries and {e["reference"] for e in entries} == {"sys_user_group"}
