"""Profile and flow definitions replayed from public AppFlow samples, over boto3 and signed HTTP.

* A profile without its connector's own member (`{}` for Redshift, the API reference's
  lower-case `zendesk`) is a ValidationException naming the member, when the model makes that
  member's fields required; it used to be stored without any.
* A Salesforce authorization-code profile on a server with no connected app is the operator's
  problem: ConnectorServerException naming the settings, not a ValidationException; an
  `accessToken` sent with the code is used as is.
* A flow on an sObject the org does not have (`OrderItem`) is refused at CreateFlow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import redshift_profile, unique
from tests.security.conftest import Tenant
from tests.support.salesforce import APP_CLIENT_ID, USER, profile_request, sluice_env, token_profile
from tests.support.server import REGION, SluiceServer

# The fake org listens on 127.0.0.1: these servers must be allowed to reach it.
PRIVATE_OK = {"SLUICE_ALLOW_PRIVATE_ENDPOINTS": "true"}


@pytest.fixture(scope="module")
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 5, "Contact": 0, "Opportunity": 0})
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def signed_post(tenant: Tenant, path: str, body: dict[str, Any]) -> httpx.Response:
    """POST a JSON body as sent (boto3 cannot serialise members the model lacks), SigV4-signed."""
    url = tenant.server.url + path
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(tenant.access_key, tenant.secret_key), "appflow", REGION).add_auth(request)
    return httpx.post(url, content=data, headers=dict(request.headers.items()), timeout=30)


def profile_names(client: Any) -> list[str]:
    return [p["connectorProfileName"] for p in client.describe_connector_profiles()["connectorProfileDetails"]]


def test_a_profile_without_its_connectors_member_is_refused(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    name = unique("redshift-empty")
    request = redshift_profile(name)
    request["connectorProfileConfig"]["connectorProfileProperties"] = {}
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_connector_profile(**request)
    message = caught.value.response["Error"]["Message"]
    assert "connectorProfileConfig.connectorProfileProperties.Redshift" in message
    assert "bucketName" in message and "roleArn" in message
    assert name not in profile_names(client)


def test_an_update_cannot_drop_the_member_either(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    name = unique("redshift-upd")
    client.create_connector_profile(**redshift_profile(name))
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.update_connector_profile(connectorProfileName=name, connectionMode="Public",
                                        connectorProfileConfig={"connectorProfileProperties": {}})
    assert "connectorProfileProperties.Redshift" in caught.value.response["Error"]["Message"]
    detail = client.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectorProfileProperties"]["Redshift"]["bucketName"] == "sluice-staging"


def test_the_api_references_lower_case_member_is_refused(tenant_a: Tenant) -> None:
    # The CreateConnectorProfile samples spell the member `zendesk`; the model's name is `Zendesk`.
    name = unique("zendesk-sample")
    response = signed_post(tenant_a, "/create-connector-profile", {
        "connectorProfileName": name,
        "connectorType": "Zendesk",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"zendesk": {"instanceUrl": "https://example.zendesk.com"}},
            "connectorProfileCredentials": {"zendesk": {"clientId": "id", "clientSecret": "secret"}},
        },
    })
    assert response.status_code == 400, response.text
    assert response.headers["x-amzn-ErrorType"].startswith("ValidationException")
    assert "connectorProfileConfig.connectorProfileProperties.Zendesk" in response.json()["message"]
    assert name not in profile_names(tenant_a.client())


def test_credentials_without_their_member_are_refused(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_connector_profile(
            connectorProfileName=unique("zendesk-nocreds"), connectorType="Zendesk", connectionMode="Public",
            connectorProfileConfig={
                "connectorProfileProperties": {"Zendesk": {"instanceUrl": "https://example.zendesk.com"}},
                "connectorProfileCredentials": {}})
    assert "connectorProfileCredentials.Zendesk" in caught.value.response["Error"]["Message"]


def test_a_member_with_no_required_fields_may_be_left_out(tenant_a: Tenant) -> None:
    # SalesforceConnectorProfileProperties has no required field: `{}` stays acceptable there.
    client = tenant_a.client()
    name = unique("pardot-empty")
    client.create_connector_profile(connectorProfileName=name, connectorType="Pardot", connectionMode="Public",
                                    connectorProfileConfig={"connectorProfileProperties": {}})
    assert name in profile_names(client)


@pytest.fixture(scope="module")
def no_app_server(org: FakeSalesforce, start_server: Callable[..., SluiceServer]) -> SluiceServer:
    """A server whose operator did not configure Sluice's Salesforce connected app."""
    env = sluice_env(org.url, **PRIVATE_OK)
    del env["SLUICE_SALESFORCE_CLIENT_ID"], env["SLUICE_SALESFORCE_CLIENT_SECRET"]
    return start_server(workers=0, **env)


def test_an_auth_code_without_a_connected_app_is_a_server_side_error(
    no_app_server: SluiceServer, org: FakeSalesforce
) -> None:
    client = no_app_server.client()
    redirect = "https://console.example.com/oauth/callback"
    org.org.auth.add_auth_code("code-no-app", redirect)
    name = unique("sf-code")
    with pytest.raises(client.exceptions.ConnectorServerException) as caught:
        client.create_connector_profile(**profile_request(name, org.url, {
            "oAuthRequest": {"authCode": "code-no-app", "redirectUri": redirect}}))
    message = caught.value.response["Error"]["Message"]
    assert "SLUICE_SALESFORCE_CLIENT_ID" in message and "SLUICE_SALESFORCE_CLIENT_SECRET" in message
    assert name not in profile_names(client)


def test_an_access_token_sent_with_the_code_is_used(no_app_server: SluiceServer, org: FakeSalesforce) -> None:
    client = no_app_server.client()
    name = unique("sf-code-token")
    token = org.org.auth.issue_token(USER, APP_CLIENT_ID)
    # A code already spent by whoever obtained the token: exchanging it could only fail.
    client.create_connector_profile(**profile_request(name, org.url, {
        "accessToken": token, "oAuthRequest": {"authCode": "already-spent", "redirectUri": "https://x/cb"}}))
    entities = client.list_connector_entities(connectorProfileName=name)["connectorEntityMap"]
    assert "Account" in {e["name"] for group in entities.values() for e in group}
    # The token is checked against the org, not taken on trust.
    with pytest.raises(client.exceptions.ConnectorAuthenticationException):
        client.create_connector_profile(**profile_request(unique("sf-code-bad"), org.url, {
            "accessToken": "not-a-token", "oAuthRequest": {"authCode": "c", "redirectUri": "https://x/cb"}}))


@pytest.fixture(scope="module")
def app_server(org: FakeSalesforce, start_server: Callable[..., SluiceServer]) -> SluiceServer:
    return start_server(workers=0, **sluice_env(org.url, SLUICE_S3_BACKEND="local", **PRIVATE_OK))


def salesforce_flow(name: str, profile: str, entity: str) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Salesforce": {"object": entity}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {
            "S3": {"bucketName": "out", "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                   "taskProperties": {}}],
    }


def test_a_flow_on_an_object_the_org_does_not_have_is_refused_at_create(
    app_server: SluiceServer, org: FakeSalesforce
) -> None:
    client = app_server.client()
    profile = unique("sf")
    client.create_connector_profile(**token_profile(profile, org))
    name = unique("sf-orderitem")
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_flow(**salesforce_flow(name, profile, "OrderItem"))
    assert "OrderItem" in caught.value.response["Error"]["Message"]
    assert name not in [f["flowName"] for f in client.list_flows()["flows"]]
    # An object the org has is fine; an update onto a missing one is refused the same way.
    existing = unique("sf-account")
    assert client.create_flow(**salesforce_flow(existing, profile, "Account"))["flowStatus"] == "Active"
    update = salesforce_flow(existing, profile, "OrderItem")
    with pytest.raises(client.exceptions.ValidationException):
        client.update_flow(**{k: v for k, v in update.items() if k != "flowName"}, flowName=existing)
    source = client.describe_flow(flowName=existing)["sourceFlowConfig"]
    assert source["sourceConnectorProperties"]["Salesforce"]["object"] == "Account"
