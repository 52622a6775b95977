"""Model-derived profile forms: the tree read from botocore's model, and posted fields back to request JSON."""

from __future__ import annotations

import pytest

from sluice.api.console.model_forms import (
    Field,
    FormProblem,
    defaults,
    form_lists,
    initial_values,
    profile_form,
    to_config,
    with_entries,
)
from sluice.protocol.model import service_model
from sluice.protocol.validate import validate_input


def posted(**fields: str) -> dict[str, list[str]]:
    return form_lists((name.replace("__", "."), value) for name, value in fields.items())


def by_name(root: Field) -> dict[str, Field]:
    found = {root.name: root}
    for child in (*root.members, *root.alternatives):
        found.update(by_name(child))
    return found


def test_the_form_follows_the_models_members_types_and_sensitivity():
    form = profile_form("Servicenow")
    assert form.properties is not None and form.credentials is not None
    fields = {**by_name(form.properties), **by_name(form.credentials)}
    url = fields["properties.ServiceNow.instanceUrl"]
    assert url.kind == "string" and url.required and "ServiceNow" in url.help and "<p>" not in url.help
    assert fields["credentials.ServiceNow.password"].sensitive
    assert not fields["credentials.ServiceNow.username"].sensitive
    # basic (the plain members) or OAuth 2.0: the optional structure is an alternative
    assert [a.key for a in form.credentials.alternatives] == ["oAuth2Credentials"]
    assert fields["properties.ServiceNow"].kind == "structure"


def test_types_enums_and_the_oauth_request_member():
    salesforce = profile_form("Salesforce")
    assert salesforce.oauth  # SalesforceConnectorProfileCredentials.oAuthRequest
    fields = {**by_name(salesforce.properties), **by_name(salesforce.credentials)}  # type: ignore[arg-type]
    assert fields["properties.Salesforce.isSandboxEnvironment"].kind == "boolean"
    assert "JWT_BEARER" in fields["credentials.Salesforce.oAuth2GrantType"].enum
    assert not any(name.endswith("oAuthRequest") for name in fields)  # the callback fills it
    sap = by_name(profile_form("SAPOData").properties)  # type: ignore[arg-type]
    assert sap["properties.SAPOData.portNumber"].kind == "integer"
    assert sap["properties.SAPOData.oAuthProperties.oAuthScopes"].kind == "list"
    assert not profile_form("Servicenow").oauth


def test_servicenow_basic_auth_maps_to_the_request_and_passes_the_models_validation():
    form = profile_form("Servicenow")
    config = to_config(posted(properties__ServiceNow__instanceUrl=" https://x.service-now.com ",
                              credentials__ServiceNow__username="admin",
                              credentials__ServiceNow__password=" pass word "), form)
    assert config == {"connectorProfileProperties": {"ServiceNow": {"instanceUrl": "https://x.service-now.com"}},
                      "connectorProfileCredentials": {"ServiceNow": {"username": "admin", "password": " pass word "}}}
    request = {"connectorProfileName": "sn", "connectorType": "Servicenow", "connectionMode": "Public",
               "connectorProfileConfig": config}
    validate_input(service_model().operation_model("CreateConnectorProfile").input_shape, request)


def test_only_the_chosen_alternative_is_sent():
    form = profile_form("SAPOData")
    fields = posted(credentials__SAPOData__basicAuthCredentials__username="u",
                    credentials__SAPOData__basicAuthCredentials__password="p",
                    credentials__SAPOData__oAuthCredentials__clientId="left-over")
    fields["choose:credentials.SAPOData"] = ["basicAuthCredentials"]
    creds = to_config(fields, form)["connectorProfileCredentials"]
    assert creds == {"SAPOData": {"basicAuthCredentials": {"username": "u", "password": "p"}}}
    fields["choose:credentials.SAPOData"] = ["oAuthCredentials"]
    assert to_config(fields, form)["connectorProfileCredentials"] == {
        "SAPOData": {"oAuthCredentials": {"clientId": "left-over"}}}


def test_lists_integers_and_booleans():
    form = profile_form("SAPOData")
    fields = posted(properties__SAPOData__applicationHostUrl="https://sap.example",
                    properties__SAPOData__portNumber="443", properties__SAPOData__disableSSO="true",
                    properties__SAPOData__oAuthProperties__oAuthScopes="API_BUSINESS_PARTNER\n\r\n openid \n",
                    properties__SAPOData__oAuthProperties__tokenUrl="https://sap.example/token")
    fields["choose:properties.SAPOData"] = ["oAuthProperties"]
    props = to_config(fields, form)["connectorProfileProperties"]["SAPOData"]
    assert props == {"applicationHostUrl": "https://sap.example", "portNumber": 443, "disableSSO": True,
                     "oAuthProperties": {"tokenUrl": "https://sap.example/token",
                                         "oAuthScopes": ["API_BUSINESS_PARTNER", "openid"]}}
    with pytest.raises(FormProblem) as wrong:
        to_config(posted(properties__SAPOData__portNumber="4x3"), form)
    assert wrong.value.name == "properties.SAPOData.portNumber"


def test_maps_and_the_discriminator_of_custom_connector_credentials():
    form = profile_form("CustomConnector")
    fields = posted(properties__CustomConnector__profileProperties="region = eu\nmode=fast=yes\n",
                    credentials__CustomConnector__custom__customAuthenticationType="token",
                    credentials__CustomConnector__custom__credentialsMap="apiToken=s3cret")
    fields["choose:credentials.CustomConnector"] = ["custom"]
    config = to_config(fields, form)
    assert config["connectorProfileProperties"] == {
        "CustomConnector": {"profileProperties": {"region": "eu", "mode": "fast=yes"}}}
    # authenticationType is not an input: the chosen alternative names it
    assert config["connectorProfileCredentials"] == {"CustomConnector": {
        "authenticationType": "CUSTOM",
        "custom": {"customAuthenticationType": "token", "credentialsMap": {"apiToken": "s3cret"}}}}
    with pytest.raises(FormProblem):
        to_config(posted(properties__CustomConnector__profileProperties="no equals sign"), form)


def test_a_map_with_declared_keys():
    form = profile_form("CustomConnector")
    assert form.credentials is not None
    keys = [Field("", "apiToken", "string", True, sensitive=True), Field("", "tenant", "string")]
    creds = with_entries(form.credentials, ["custom", "credentialsMap"], keys)
    fields = by_name(creds)["credentials.CustomConnector.custom.credentialsMap"]
    assert [e.name for e in fields.entries] == ["credentials.CustomConnector.custom.credentialsMap[apiToken]",
                                                "credentials.CustomConnector.custom.credentialsMap[tenant]"]
    values = posted(**{"credentials__CustomConnector__custom__credentialsMap[apiToken]": "t0k"})
    values["choose:credentials.CustomConnector"] = ["custom"]
    out = to_config(values, form.__class__(form.connector_type, form.properties, creds))
    assert out["connectorProfileCredentials"]["CustomConnector"]["custom"] == {"credentialsMap": {"apiToken": "t0k"}}


def test_no_credentials_entered_means_none_sent():
    form = profile_form("Servicenow")
    config = to_config(posted(properties__ServiceNow__instanceUrl="https://x"), form)
    assert "connectorProfileCredentials" not in config


def test_stored_properties_fill_the_form_back_and_round_trip():
    form = profile_form("SAPOData")
    stored = {"applicationHostUrl": "https://sap.example", "portNumber": 443, "disableSSO": True,
              "oAuthProperties": {"tokenUrl": "https://t", "authCodeUrl": "https://a", "oAuthScopes": ["a", "b"]}}
    values = initial_values(form.properties, stored)
    assert values["choose:properties.SAPOData"] == "oAuthProperties"
    assert values["properties.SAPOData.oAuthProperties.oAuthScopes"] == "a\nb"
    again = to_config({k: [v] for k, v in values.items()}, form)
    assert again["connectorProfileProperties"]["SAPOData"] == stored


def test_a_pure_union_starts_on_its_first_alternative():
    assert defaults(profile_form("SAPOData").credentials) == {"choose:credentials.SAPOData": "basicAuthCredentials"}
    assert defaults(profile_form("Servicenow").credentials) == {}
