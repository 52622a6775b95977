"""Connector profiles over signed boto3: Create / Describe / Update / Delete and their errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.builders import (
    custom_profile,
    default_account_id,
    marketo_profile,
    raises,
    register_connector,
    salesforce_flow,
    salesforce_profile,
    unchecked_client,
    unique,
)
from tests.support.salesforce import shared_fake

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def describe_one(appflow, name):
    details = appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"]
    assert len(details) == 1
    return details[0]


def test_create_then_describe_returns_every_member(server, appflow):
    name = unique("sf")
    arn = appflow.create_connector_profile(**salesforce_profile(name))["connectorProfileArn"]

    account = default_account_id(server)
    assert arn == f"arn:aws:appflow:us-east-1:{account}:connectorprofile/{name}"
    detail = describe_one(appflow, name)
    assert detail["connectorProfileArn"] == arn
    assert detail["connectorProfileName"] == name
    assert detail["connectorType"] == "Salesforce"
    assert detail["connectionMode"] == "Public"
    assert detail["credentialsArn"].startswith(f"arn:aws:secretsmanager:us-east-1:{account}:secret:")
    assert detail["connectorProfileProperties"]["Salesforce"]["instanceUrl"] == shared_fake().url
    assert isinstance(detail["createdAt"], datetime)
    assert detail["lastUpdatedAt"] >= detail["createdAt"]
    assert "connectorLabel" not in detail


def test_credentials_never_leave_the_server(server):
    client = server.client()
    bodies: list[bytes] = []
    client.meta.events.register("after-call.appflow", lambda http_response, **_: bodies.append(http_response.content))
    name, first, second = unique("sf"), unique("FIRSTSECRET"), unique("SECONDSECRET")
    client.create_connector_profile(**salesforce_profile(name, secret=first))
    client.describe_connector_profiles(connectorProfileNames=[name])
    client.describe_connector_profiles(connectorType="Salesforce")
    client.describe_connector_profiles()
    update = salesforce_profile(name, secret=second)
    del update["connectorType"]
    client.update_connector_profile(**update)
    client.describe_connector_profiles(connectorProfileNames=[name])

    assert len(bodies) == 6
    for secret in (first, second):
        assert not any(secret.encode() in body for body in bodies)
        assert secret not in server.log()
        database = server.data_dir / "sluice.db"  # SQLite only: the secret is sealed at rest
        if database.exists():
            assert secret.encode() not in database.read_bytes()


def test_describe_filters_by_name_type_and_label(appflow):
    label = unique("conn")
    appflow.register_connector(**register_connector(label))
    sf, mk, custom = unique("sf"), unique("mk"), unique("cc")
    appflow.create_connector_profile(**salesforce_profile(sf))
    appflow.create_connector_profile(**marketo_profile(mk))
    appflow.create_connector_profile(**custom_profile(custom, label))
    names = [sf, mk, custom]

    by_names = appflow.describe_connector_profiles(connectorProfileNames=names)["connectorProfileDetails"]
    assert sorted(d["connectorProfileName"] for d in by_names) == sorted(names)
    marketo = appflow.describe_connector_profiles(connectorProfileNames=names, connectorType="Marketo")
    assert [d["connectorProfileName"] for d in marketo["connectorProfileDetails"]] == [mk]
    every_marketo = appflow.describe_connector_profiles(connectorType="Marketo")["connectorProfileDetails"]
    assert {d["connectorType"] for d in every_marketo} == {"Marketo"}
    labelled = appflow.describe_connector_profiles(connectorType="CustomConnector", connectorLabel=label)
    (detail,) = labelled["connectorProfileDetails"]
    assert (detail["connectorProfileName"], detail["connectorLabel"]) == (custom, label)
    assert appflow.describe_connector_profiles(connectorProfileNames=[unique("absent")])[
        "connectorProfileDetails"
    ] == []


def test_describe_paginates_with_max_results(server, appflow):
    names = [unique("page") for _ in range(5)]
    for name in names:
        appflow.create_connector_profile(**marketo_profile(name))

    seen: list[str] = []
    kwargs: dict = {"connectorProfileNames": names, "maxResults": 2}
    pages = 0
    while True:
        page = appflow.describe_connector_profiles(**kwargs)
        pages += 1
        assert len(page["connectorProfileDetails"]) <= 2
        seen += [d["connectorProfileName"] for d in page["connectorProfileDetails"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert pages == 3
    assert seen == names  # oldest first, each once

    first = appflow.describe_connector_profiles(connectorProfileNames=names, maxResults=1)
    with raises(appflow, "ValidationException", 400, "nextToken"):
        appflow.describe_connector_profiles(connectorProfileNames=names[:2], nextToken=first["nextToken"])
    unchecked = unchecked_client(server)
    for bad in (0, 101):
        with raises(appflow, "ValidationException", 400, "maxResults"):
            unchecked.describe_connector_profiles(maxResults=bad)


def test_update_replaces_properties(appflow):
    name = unique("sf")
    arn = appflow.create_connector_profile(**salesforce_profile(name))["connectorProfileArn"]
    before = describe_one(appflow, name)
    request = salesforce_profile(name)
    del request["connectorType"]
    # Properties only: new credentials would be checked against the (unreachable) new host.
    del request["connectorProfileConfig"]["connectorProfileCredentials"]
    request["connectorProfileConfig"]["connectorProfileProperties"]["Salesforce"]["instanceUrl"] = (
        "https://other.my.salesforce.com"
    )
    request["connectionMode"] = "Private"

    assert appflow.update_connector_profile(**request)["connectorProfileArn"] == arn
    after = describe_one(appflow, name)
    assert after["connectorProfileProperties"]["Salesforce"]["instanceUrl"] == "https://other.my.salesforce.com"
    assert after["connectionMode"] == "Private"
    assert after["createdAt"] == before["createdAt"]
    assert after["lastUpdatedAt"] >= before["lastUpdatedAt"]


def test_update_errors(appflow):
    name = unique("sf")
    appflow.create_connector_profile(**salesforce_profile(name))
    wrong_type = marketo_profile(name)
    del wrong_type["connectorType"]
    with raises(appflow, "ValidationException", 400, "Marketo", "Salesforce"):
        appflow.update_connector_profile(**wrong_type)

    missing = salesforce_profile(unique("absent"))
    del missing["connectorType"]
    with raises(appflow, "ResourceNotFoundException", 404, missing["connectorProfileName"]):
        appflow.update_connector_profile(**missing)


def test_delete_then_gone(appflow):
    name = unique("sf")
    appflow.create_connector_profile(**salesforce_profile(name))
    appflow.delete_connector_profile(connectorProfileName=name)

    assert appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"] == []
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.delete_connector_profile(connectorProfileName=name)


def test_delete_in_use_needs_force_and_names_the_flow(appflow):
    profile, flow = unique("sf"), unique("flow")
    appflow.create_connector_profile(**salesforce_profile(profile))
    appflow.create_flow(**salesforce_flow(flow, profile))

    with raises(appflow, "ConflictException", 409, profile, flow, "forceDelete"):
        appflow.delete_connector_profile(connectorProfileName=profile)
    assert describe_one(appflow, profile)["connectorProfileName"] == profile

    appflow.delete_connector_profile(connectorProfileName=profile, forceDelete=True)
    assert appflow.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"] == []


def test_duplicate_name_conflicts(appflow):
    name = unique("sf")
    appflow.create_connector_profile(**salesforce_profile(name))
    with raises(appflow, "ConflictException", 409, name, "already exists"):
        appflow.create_connector_profile(**marketo_profile(name))


def test_create_validation_errors(appflow):
    bad_member = salesforce_profile(unique("sf"))
    bad_member["connectorProfileConfig"]["connectorProfileProperties"] = {"Marketo": {"instanceUrl": "https://x"}}
    with raises(appflow, "ValidationException", 400, "Marketo", "Salesforce"):
        appflow.create_connector_profile(**bad_member)

    with raises(appflow, "ValidationException", 400, "connectorProfileName"):
        appflow.create_connector_profile(**salesforce_profile("bad name with spaces"))

    no_label = custom_profile(unique("cc"), "x")
    del no_label["connectorLabel"]
    with raises(appflow, "ValidationException", 400, "connectorLabel"):
        appflow.create_connector_profile(**no_label)

    unregistered = unique("nolabel")
    with raises(appflow, "ValidationException", 400, unregistered, "not registered"):
        appflow.create_connector_profile(**custom_profile(unique("cc"), unregistered))


@pytest.fixture(scope="module")
def two_profile_server(start_sibling):
    """A server whose connector-profile quota is 2."""
    return start_sibling(SLUICE_MAX_CONNECTOR_PROFILES="2")


def test_quota_is_service_quota_exceeded(two_profile_server):
    client = two_profile_server.client()
    client.create_connector_profile(**salesforce_profile(unique("q")))
    client.create_connector_profile(**marketo_profile(unique("q")))
    with raises(client, "ServiceQuotaExceededException", 402, "2", "quota"):
        client.create_connector_profile(**salesforce_profile(unique("q")))
    assert len(client.describe_connector_profiles()["connectorProfileDetails"]) == 2


def test_a_refused_secret_is_not_echoed(server, appflow):
    marker = unique("LEAKMARKER")
    request = marketo_profile(unique("mk"), secret=marker + " with spaces " + "x" * 600)
    with raises(appflow, "ValidationException", 400, "clientSecret") as exc:
        appflow.create_connector_profile(**request)
    assert marker not in exc.value.response["Error"]["Message"]
    assert marker not in server.log()
