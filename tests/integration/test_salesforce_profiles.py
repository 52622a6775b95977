"""Salesforce connector profiles and metadata through boto3, against the fake org.

Each OAuth grant AppFlow documents for Salesforce is exercised end to end: the server checks the
credentials against the org at CreateConnectorProfile, stores what it obtained sealed, never
returns it, and then lists and describes the org's sObjects with it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.flows import saas_server
from tests.support.salesforce import APP_CLIENT_ID, APP_CLIENT_SECRET, USER, profile_request, sluice_env, token_profile
from tests.support.server import SluiceServer

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 300, "Contact": 300, "Opportunity": 300})
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(fake: FakeSalesforce, moto_s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = sluice_env(fake.url, AWS_ENDPOINT_URL_SECRETSMANAGER=moto_s3, **MOTO_KEYS)
    with saas_server(tmp_path_factory.mktemp("sf-profiles"), workers=0, **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def _secret_values(request: dict[str, Any]) -> list[str]:
    creds = request["connectorProfileConfig"]["connectorProfileCredentials"]["Salesforce"]
    return [v for k, v in creds.items() if isinstance(v, str) and k != "oAuth2GrantType"]


def _describe(appflow: Any, name: str) -> dict[str, Any]:
    return appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]


def _entities(appflow: Any, name: str) -> list[str]:
    answer = appflow.list_connector_entities(connectorProfileName=name)
    return sorted(e["name"] for group in answer["connectorEntityMap"].values() for e in group)


def test_access_and_refresh_tokens(appflow: Any, sluice: SluiceServer, fake: FakeSalesforce) -> None:
    name = unique("sf-tokens")
    request = token_profile(name, fake)
    appflow.create_connector_profile(**request)
    detail = _describe(appflow, name)
    assert detail["connectorProfileProperties"]["Salesforce"]["instanceUrl"] == fake.url
    body = json.dumps(detail, default=str)
    for secret in _secret_values(request):
        assert secret not in body
    assert {"Account", "Contact", "Opportunity"} <= set(_entities(appflow, name))
    for secret in _secret_values(request):
        assert secret not in sluice.log()


def test_describe_entity_maps_salesforce_field_metadata(appflow: Any, fake: FakeSalesforce) -> None:
    name = unique("sf-meta")
    appflow.create_connector_profile(**token_profile(name, fake))
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=name, connectorEntityName="Account")["connectorEntityFields"]}
    assert fields["Id"]["isPrimaryKey"] is True
    picklist = fields["Type"]["supportedFieldTypeDetails"]["v1"]
    assert "Customer - Direct" in picklist["supportedValues"]
    assert "EQUAL_TO" in picklist["filterOperators"]
    revenue = fields["AnnualRevenue"]
    assert "GREATER_THAN" in revenue["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    assert fields["Name"]["destinationProperties"]["isCreatable"] is True
    assert fields["Id"]["destinationProperties"]["isCreatable"] is False
    assert fields["External_Id__c"]["destinationProperties"]["isUpsertable"] is True
    assert fields["LastModifiedDate"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    # Served from the metadata cache the second time: the org is not asked again.
    before = dict(fake.org.counters)
    appflow.describe_connector_entity(connectorProfileName=name, connectorEntityName="Account")
    assert fake.org.counters.get("describe", 0) == before.get("describe", 0)


def test_authorization_code_is_exchanged_once(appflow: Any, fake: FakeSalesforce) -> None:
    redirect = "https://console.example.com/oauth/callback"
    fake.org.auth.add_auth_code("code-123", redirect)
    name = unique("sf-code")
    appflow.create_connector_profile(**profile_request(name, fake.url, {
        "oAuthRequest": {"authCode": "code-123", "redirectUri": redirect}}))
    assert "Account" in _entities(appflow, name)
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as caught:
        appflow.create_connector_profile(**profile_request(unique("sf-code"), fake.url, {
            "oAuthRequest": {"authCode": "code-123", "redirectUri": redirect}}))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert "invalid authorization code" in caught.value.response["Error"]["Message"]


def test_client_credentials_from_secrets_manager(appflow: Any, fake: FakeSalesforce, moto_s3: str) -> None:
    secrets = boto3.client("secretsmanager", endpoint_url=moto_s3, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    good = secrets.create_secret(Name=unique("sf-app"), SecretString=json.dumps(
        {"clientId": APP_CLIENT_ID, "clientSecret": APP_CLIENT_SECRET}))["ARN"]
    bad = secrets.create_secret(Name=unique("sf-app"), SecretString=json.dumps(
        {"clientId": APP_CLIENT_ID, "clientSecret": "not-the-secret"}))["ARN"]
    name = unique("sf-cc")
    appflow.create_connector_profile(**profile_request(name, fake.url, {
        "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": good}))
    assert "Contact" in _entities(appflow, name)
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as caught:
        appflow.create_connector_profile(**profile_request(unique("sf-cc"), fake.url, {
            "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": bad}))
    assert "invalid client credentials" in caught.value.response["Error"]["Message"]
    assert "not-the-secret" not in json.dumps(caught.value.response, default=str)


def test_jwt_bearer(appflow: Any, fake: FakeSalesforce) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fake.org.auth.set_jwt_public_key(public)
    claims = {"iss": APP_CLIENT_ID, "sub": USER, "aud": fake.url, "exp": int(time.time()) + 300}
    token = jwt.encode(claims, key, algorithm="RS256")
    name = unique("sf-jwt")
    appflow.create_connector_profile(**profile_request(name, fake.url, {
        "oAuth2GrantType": "JWT_BEARER", "jwtToken": token}))
    assert "Opportunity" in _entities(appflow, name)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256")
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException):
        appflow.create_connector_profile(**profile_request(unique("sf-jwt"), fake.url, {
            "oAuth2GrantType": "JWT_BEARER", "jwtToken": forged}))


def test_bad_token_is_refused_with_salesforce_reason(appflow: Any, fake: FakeSalesforce) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as caught:
        appflow.create_connector_profile(**profile_request(unique("sf-bad"), fake.url, {"accessToken": "nope"}))
    assert "INVALID_SESSION_ID" in caught.value.response["Error"]["Message"]
    name = unique("sf-upd")
    appflow.create_connector_profile(**token_profile(name, fake))
    update = profile_request(name, fake.url, {"accessToken": "still-nope"})
    del update["connectorType"]
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException):
        appflow.update_connector_profile(**update)
    assert "Account" in _entities(appflow, name)  # the failed update changed nothing


def test_unreachable_org_is_a_connector_server_error(appflow: Any) -> None:
    with pytest.raises(appflow.exceptions.ConnectorServerException):
        appflow.create_connector_profile(**profile_request(unique("sf-gone"), "http://127.0.0.1:9", {
            "accessToken": "whatever"}))
