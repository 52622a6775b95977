"""The fake Customer Profiles API, driven by boto3's own `customer-profiles` client (SigV4, REST-JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fakes.customer_profiles.server import FakeCustomerProfiles
from tests.fakes.customer_profiles.state import ACCOUNT_TYPE
from tests.support.tls import certificates


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCustomerProfiles]:
    with FakeCustomerProfiles(seed_objects=250) as server:
        yield server


def _client(fake: FakeCustomerProfiles, secret: str | None = None, key: str | None = None, attempts: int = 3) -> Any:
    return boto3.client("customer-profiles", endpoint_url=fake.url, region_name="us-east-1",
                        aws_access_key_id=key or fake.access_key, aws_secret_access_key=secret or fake.secret_key,
                        verify=str(certificates().ca_file),
                        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


def test_domains_object_types_and_objects(fake: FakeCustomerProfiles) -> None:
    client = _client(fake)
    client.create_domain(DomainName="shop", DefaultExpirationDays=30)
    assert client.get_domain(DomainName="shop")["DefaultExpirationDays"] == 30
    client.put_profile_object_type(DomainName="shop", ObjectTypeName="Account", **ACCOUNT_TYPE)
    described = client.get_profile_object_type(DomainName="shop", ObjectTypeName="Account")
    assert described["Keys"] == ACCOUNT_TYPE["Keys"] and described["AllowProfileCreation"] is True
    key = client.put_profile_object(DomainName="shop", ObjectTypeName="Account",
                                    Object=json.dumps({"AccountId": "A1", "Name": "Zoë"}))["ProfileObjectUniqueKey"]
    assert key == "A1"
    client.put_profile_object(DomainName="shop", ObjectTypeName="Account",
                              Object=json.dumps({"AccountId": "A1", "Name": "Zoë B"}))  # same key: replaced
    assert fake.state.objects("shop") == [{"AccountId": "A1", "Name": "Zoë B"}]
    with pytest.raises(ClientError) as missing_key:
        client.put_profile_object(DomainName="shop", ObjectTypeName="Account", Object=json.dumps({"Name": "x"}))
    assert missing_key.value.response["Error"]["Code"] == "BadRequestException"
    assert missing_key.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as not_json:
        client.put_profile_object(DomainName="shop", ObjectTypeName="Account", Object="{nope")
    assert not_json.value.response["Error"]["Code"] == "BadRequestException"


def test_missing_resources_are_404(fake: FakeCustomerProfiles) -> None:
    client = _client(fake)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_domain(DomainName="nobody")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_profile_object_type(DomainName="seeded", ObjectTypeName="Nope")


def test_paging_through_seeded_objects(fake: FakeCustomerProfiles) -> None:
    client = _client(fake)
    domain = fake.state.domains["seeded"]
    profile_id = next(iter(domain.profiles.values()))
    seen, token = [], None
    while True:
        page = client.list_profile_objects(DomainName="seeded", ObjectTypeName="Account", ProfileId=profile_id,
                                           MaxResults=1, **({"NextToken": token} if token else {}))
        seen += page["Items"]
        token = page.get("NextToken")
        if not token:
            break
    assert [item["ProfileObjectUniqueKey"] for item in seen] == ["A000000"]
    assert len(fake.state.objects("seeded")) == 250


def test_signatures_are_checked(fake: FakeCustomerProfiles) -> None:
    with pytest.raises(ClientError) as wrong_secret:
        _client(fake, secret="not-the-secret").get_domain(DomainName="seeded")
    assert wrong_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert wrong_secret.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as unknown_key:
        _client(fake, key="AKIDUNKNOWN000000000").get_domain(DomainName="seeded")
    assert unknown_key.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_throttling_is_429_and_boto3_retries_it(fake: FakeCustomerProfiles) -> None:
    fake.state.requests.clear()
    fake.state.throttle_next(2)
    assert _client(fake, attempts=3).get_domain(DomainName="seeded")["DomainName"] == "seeded"
    assert len(fake.state.requests.matching("/domains/seeded")) == 3  # two 429s, then the answer
    fake.state.throttle_next(1)
    with pytest.raises(ClientError) as throttled:
        _client(fake, attempts=1).get_domain(DomainName="seeded")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
