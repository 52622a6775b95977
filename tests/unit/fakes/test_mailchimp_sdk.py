"""The fake Mailchimp driven with Mailchimp's own client, `mailchimp-marketing` (`MailchimpMarketing.Client`).

The client is configured as Mailchimp's quick-start says (`set_config({"api_key", "server"})`, or an
OAuth `access_token`) with its host pointed at the fake; requests trusts the test CA through
REQUESTS_CA_BUNDLE. Covers `count`/`offset` paging of list members to `total_items`, `fields`
partial responses, the `since_*` filters, the 401 problem document for a wrong key, the 429 one
for too many connections (the client does not retry: the caller sees `ApiClientError`), and a
bearer token.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import mailchimp_marketing as MailchimpMarketing
import pytest
from mailchimp_marketing.api_client import ApiClientError

from tests.fakes.mailchimp.server import FakeMailchimp
from tests.support.tls import tls_env

MEMBERS = 2500


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMailchimp]:
    saved = {k: os.environ.get(k) for k in tls_env()}
    os.environ.update(tls_env())
    try:
        with FakeMailchimp(members=MEMBERS, campaigns=30) as server:
            yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def client(fake: FakeMailchimp, **config: Any) -> Any:
    sdk = MailchimpMarketing.Client()
    sdk.set_config(config or {"api_key": fake.state.api_key, "server": "us21"})
    sdk.api_client.host = f"{fake.url}/3.0"
    return sdk


def test_the_root_answers_the_account(fake: FakeMailchimp) -> None:
    assert client(fake).ping.get() == {"health_status": "Everything's Chimpy!"}
    account = client(fake).root.get_root(fields=["account_name", "total_subscribers"])
    assert account == {"account_name": "Acme Coöperative", "total_subscribers": MEMBERS}


def test_members_page_with_count_and_offset_to_total_items(fake: FakeMailchimp) -> None:
    sdk = client(fake)
    lists = sdk.lists.get_all_lists()["lists"]
    assert len(lists) == 3
    seen: list[str] = []
    for entry in lists:
        offset, total = 0, None
        while total is None or offset < total:
            page = sdk.lists.get_list_members_info(entry["id"], count=1000, offset=offset)
            total = page["total_items"]
            assert page["list_id"] == entry["id"] and len(page["members"]) <= 1000
            seen += [m["id"] for m in page["members"]]
            offset += len(page["members"])
        assert total == entry["stats"]["member_count"]
    assert len(seen) == MEMBERS
    default = sdk.lists.get_list_members_info(lists[0]["id"])
    assert len(default["members"]) == 10  # Mailchimp's default count


def test_fields_keep_only_the_named_members(fake: FakeMailchimp) -> None:
    page = client(fake).campaigns.list(fields=["campaigns.id", "campaigns.create_time", "total_items"], count=5)
    assert set(page) == {"campaigns", "total_items"}
    assert all(set(c) == {"id", "create_time"} for c in page["campaigns"])
    overlapping = client(fake).campaigns.list(fields=["campaigns.recipients", "campaigns.recipients.list_id"],
                                              count=1)
    whole = client(fake).campaigns.list(count=1)["campaigns"][0]["recipients"]
    assert overlapping["campaigns"][0]["recipients"] == whole  # a member named itself comes whole
    excluded = client(fake).campaigns.list(exclude_fields=["campaigns._links", "_links"], count=2)
    assert "_links" not in excluded and all("_links" not in c and "settings" in c for c in excluded["campaigns"])


def test_since_filters_keep_later_records(fake: FakeMailchimp) -> None:
    everything = client(fake).campaigns.list(count=1000)["campaigns"]
    pivot = sorted(c["create_time"] for c in everything)[10]
    later = client(fake).campaigns.list(count=1000, since_create_time=pivot)["campaigns"]
    assert sorted(c["id"] for c in later) == sorted(c["id"] for c in everything if c["create_time"] > pivot)
    sent = client(fake).campaigns.list(count=1000, status="sent")
    assert sent["total_items"] == sum(1 for c in everything if c["status"] == "sent")


def test_report_details_hang_from_sent_campaigns(fake: FakeMailchimp) -> None:
    sdk = client(fake)
    report = sdk.reports.get_all_campaign_reports(count=1)["reports"][0]
    clicks = sdk.reports.get_campaign_click_details(report["id"])
    assert clicks["campaign_id"] == report["id"] and clicks["urls_clicked"]
    opens = sdk.reports.get_campaign_open_details(report["id"])
    assert all(m["campaign_id"] == report["id"] for m in opens["members"])


def test_a_wrong_key_is_a_401_problem_document(fake: FakeMailchimp) -> None:
    with pytest.raises(ApiClientError) as refused:
        client(fake, api_key="0000-us21", server="us21").lists.get_all_lists()
    assert refused.value.status_code == 401
    problem = json.loads(refused.value.text)
    assert problem["title"] == "API Key Invalid" and problem["status"] == 401
    assert {"type", "detail", "instance"} <= set(problem)


def test_too_many_connections_is_a_429_problem_document(fake: FakeMailchimp) -> None:
    fake.state.throttle_next(1)
    with pytest.raises(ApiClientError) as refused:
        client(fake).lists.get_all_lists()
    assert refused.value.status_code == 429
    assert json.loads(refused.value.text)["title"] == "Too Many Requests"
    assert client(fake).lists.get_all_lists()["total_items"] == 3  # the next call goes through


def test_an_oauth_access_token_is_a_bearer_token(fake: FakeMailchimp) -> None:
    token = fake.state.issue_token()
    assert client(fake, access_token=token, server="us21").lists.get_all_lists()["total_items"] == 3
    with pytest.raises(ApiClientError) as refused:
        client(fake, access_token="not-a-token", server="us21").lists.get_all_lists()
    assert refused.value.status_code == 401
