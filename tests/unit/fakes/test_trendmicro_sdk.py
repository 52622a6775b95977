"""The fake Deep Security API driven with Trend Micro's own client, `deep-security-api` (module `deepsecurity`).

The SDK is generated from the API's own specification: its models name every member a response may carry
and the values its enumerations allow, and it refuses (ValueError) a value outside them. So searching every
kind of object through it, and checking each member the fake sends against the SDK's models, shows the fake
answers in the API's shapes. Also: paging computers by ID with a `SearchFilter`, `expand`, a policy search,
a wrong key (ApiException 401) and a 429 (ApiException 429). test_trendmicro_fake.py keeps the raw-wire checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import deepsecurity
import pytest
from deepsecurity import models
from deepsecurity.rest import ApiException

from tests.fakes.trendmicro.server import FakeTrendMicro
from tests.support.tls import certificates

RECORDS = 230
VERSION = "v1"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTrendMicro]:
    with FakeTrendMicro(records=RECORDS) as server:
        yield server


def client_for(fake: FakeTrendMicro, key: str) -> deepsecurity.ApiClient:
    """An SDK client for the fake, as Trend Micro's guides configure one (host, secret key, CA)."""
    configuration = deepsecurity.Configuration()
    configuration.host = fake.api_url
    # Configuration() is a shallow copy of one shared default: give this one its own api_key dict.
    configuration.api_key = {"api-secret-key": key}
    configuration.verify_ssl = True
    configuration.ssl_ca_cert = certificates().ca_file
    return deepsecurity.ApiClient(configuration)


@pytest.fixture(scope="module")
def client(fake: FakeTrendMicro) -> deepsecurity.ApiClient:
    return client_for(fake, fake.key)


def test_search_computers_pages_by_id(fake: FakeTrendMicro, client: deepsecurity.ApiClient) -> None:
    api = deepsecurity.ComputersApi(client)
    seen: list[int] = []
    last = 0
    while True:
        search = deepsecurity.SearchFilter(max_items=100, sort_by_object_id=True, search_criteria=[
            deepsecurity.SearchCriteria(id_test="greater-than", id_value=last)])
        page = api.search_computers(VERSION, search_filter=search).computers
        assert all(isinstance(c, deepsecurity.Computer) for c in page)
        seen += [c.id for c in page]
        if len(page) < 100:
            break
        last = page[-1].id
    assert seen == list(range(1, RECORDS + 1))
    assert fake.requests.matching("/api/computers/search")[-1]["body"] == {
        "maxItems": 100, "sortByObjectID": True, "searchCriteria": [{"idTest": "greater-than", "idValue": 200}]}
    expected = fake.state.record("computers", RECORDS - 1)
    computer = page[-1]
    assert computer.host_name == expected["hostName"]
    assert computer.computer_status.agent_status == expected["computerStatus"]["agentStatus"]
    assert computer.anti_malware.module_status.agent_status_message == "On, Real Time"


def test_expand_names_the_extensions_returned(fake: FakeTrendMicro, client: deepsecurity.ApiClient) -> None:
    api = deepsecurity.ComputersApi(client)
    one = deepsecurity.SearchFilter(max_items=1)
    basic = api.search_computers(VERSION, search_filter=one, expand=["none"]).computers[0]
    assert basic.computer_status is None and basic.anti_malware is None and basic.host_name
    status_only = api.search_computers(VERSION, search_filter=one, expand=["computerStatus"]).computers[0]
    assert status_only.computer_status is not None and status_only.anti_malware is None
    assert fake.requests.matching("/api/computers/search")[-1]["query"]["expand"] == ["computerStatus"]


def test_policy_search_with_a_string_criterion(fake: FakeTrendMicro, client: deepsecurity.ApiClient) -> None:
    search = deepsecurity.SearchFilter(max_items=RECORDS, search_criteria=[
        deepsecurity.SearchCriteria(field_name="name", string_test="equal", string_value="Sécurité%")])
    found = deepsecurity.PoliciesApi(client).search_policies(VERSION, search_filter=search).policies
    every = [fake.state.record("policies", i) for i in range(RECORDS)]
    assert found and [p.id for p in found] == [p["ID"] for p in every if p["name"].startswith("Sécurité")]
    assert all(isinstance(p.anti_malware.module_status, deepsecurity.PolicyModuleStatus) for p in found)
    assert {p.auto_requires_update for p in found} <= {"on", "off"}


SEARCHES: dict[str, tuple[str, str, Callable[[deepsecurity.ApiClient], Any], str]] = {
    # kind: (the answer's member, the SDK model, the SDK's search method, the SDK answer's attribute)
    "computers": ("computers", "Computer", lambda c: deepsecurity.ComputersApi(c).search_computers, "computers"),
    "policies": ("policies", "Policy", lambda c: deepsecurity.PoliciesApi(c).search_policies, "policies"),
    "intrusionpreventionrules": ("intrusionPreventionRules", "IntrusionPreventionRule",
                                 lambda c: deepsecurity.IntrusionPreventionRulesApi(c)
                                 .search_intrusion_prevention_rules, "intrusion_prevention_rules"),
    "softwarechanges": ("softwareChanges", "SoftwareChange",
                        lambda c: deepsecurity.SoftwareChangesApi(c).search_software_changes, "software_changes"),
    "administrators": ("administrators", "Administrator",
                       lambda c: deepsecurity.AdministratorsApi(c).search_administrators, "administrators"),
}
PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool), "object": lambda v: True,
}


def off_model(value: Any, type_name: str, path: str) -> list[str]:
    """Where `value` (raw JSON) strays from the SDK's type `type_name`: unknown members, wrong primitive types."""
    if value is None:
        return []
    listed = re.fullmatch(r"list\[(.+)\]", type_name)
    if listed:
        return [p for i, v in enumerate(value) for p in off_model(v, listed.group(1), f"{path}[{i}]")]
    mapping = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if mapping:
        return [p for k, v in value.items() for p in off_model(v, mapping.group(1), f"{path}.{k}")]
    if type_name in PRIMITIVES:
        return [] if PRIMITIVES[type_name](value) else [f"{path}: {value!r} is not {type_name}"]
    model = getattr(models, type_name)
    attributes = {member: attribute for attribute, member in model.attribute_map.items()}
    strays = [f"{path}.{key} is not a {type_name} member" for key in value if key not in attributes]
    return strays + [p for key, v in value.items() if key in attributes
                     for p in off_model(v, model.swagger_types[attributes[key]], f"{path}.{key}")]


@pytest.mark.parametrize("kind", sorted(SEARCHES))
def test_every_object_fits_the_sdk_models(fake: FakeTrendMicro, client: deepsecurity.ApiClient, kind: str) -> None:
    member, model, method, attribute = SEARCHES[kind]
    search = deepsecurity.SearchFilter(max_items=RECORDS)
    # Deserialised: the SDK's enumeration checks raise ValueError on a value the API does not define.
    typed = getattr(method(client)(VERSION, search_filter=search), attribute)
    assert len(typed) == RECORDS and all(type(o).__name__ == model for o in typed)
    raw = method(client)(VERSION, search_filter=search, _preload_content=False)
    objects = json.loads(raw.data)[member]
    assert [o["ID"] for o in objects] == [o.id for o in typed]
    assert [p for i, o in enumerate(objects) for p in off_model(o, model, f"{member}[{i}]")] == []


def test_a_wrong_key_is_401(fake: FakeTrendMicro) -> None:
    with pytest.raises(ApiException) as refused:
        deepsecurity.ComputersApi(client_for(fake, "2:not-a-key")).search_computers(VERSION)
    assert refused.value.status == 401
    assert json.loads(refused.value.body) == {"message": "Invalid API Key"}
    second = "2:second-key"
    fake.state.keys.add(second)
    keys = deepsecurity.APIKeysApi(client_for(fake, second))
    assert keys.describe_current_api_key(VERSION).active is True
    fake.state.revoke(second)
    with pytest.raises(ApiException) as locked_out:
        keys.describe_current_api_key(VERSION)
    assert locked_out.value.status == 401


def test_rate_limit_is_429_then_the_call_succeeds(fake: FakeTrendMicro, client: deepsecurity.ApiClient) -> None:
    api = deepsecurity.PoliciesApi(client)
    one = deepsecurity.SearchFilter(max_items=1)
    fake.state.throttle_next(1)
    with pytest.raises(ApiException) as limited:
        api.search_policies(VERSION, search_filter=one)
    assert limited.value.status == 429 and json.loads(limited.value.body) == {"message": "Too many API requests"}
    assert [p.id for p in api.search_policies(VERSION, search_filter=one).policies] == [1]


def test_the_current_key_describes_itself(client: deepsecurity.ApiClient) -> None:
    keys = deepsecurity.APIKeysApi(client)
    key = keys.describe_current_api_key(VERSION)
    assert isinstance(key, deepsecurity.ApiKeyCurrent) and key.active is True and key.key_name == "sluice"
    assert off_model(json.loads(keys.describe_current_api_key(VERSION, _preload_content=False).data),
                     "ApiKeyCurrent", "key") == []
