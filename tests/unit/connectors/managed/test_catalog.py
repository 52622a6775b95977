"""The managed-connector catalog against botocore's AppFlow model (the oracle for every answer)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.parsers import RestJSONParser

from sluice.connectors import managed
from sluice.connectors.base import ConnectorError, ConnectorSpec, ProfileView, RunContext
from sluice.connectors.managed import data_paths
from sluice.connectors.managed.catalog import GUIDE, MANAGED
from sluice.protocol.validate import validate_input
from tests.unit.connectors.model_oracle import MODEL, shape_errors

DESCRIBE_CONNECTOR = MODEL.operation_model("DescribeConnector").output_shape
DESCRIBE_CONNECTORS = MODEL.operation_model("DescribeConnectors").output_shape
CONFIGURATION = MODEL.shape_for("ConnectorConfiguration")
DETAIL = MODEL.shape_for("ConnectorDetail")
# The labels cdk-appflow's constructs send (src/<app>/type.ts).
CDK_LABELS = {"AmazonRDSPostgreSQL", "Asana", "GitHub", "GoogleAds", "GoogleAnalytics4", "GoogleBigQuery", "HubSpot",
              "JDBCsmall", "Mailchimp", "MicrosoftDynamics365", "MicrosoftSharePointOnline", "SalesforceMarketingCloud"}


def test_labels_are_unique_and_include_every_cdk_appflow_label() -> None:
    assert len(managed.LABELS) == len(set(managed.LABELS)) == 57
    assert set(managed.LABELS) >= CDK_LABELS


def test_no_label_is_a_built_in_connector_type() -> None:
    builtin = {name.lower() for name in MODEL.shape_for("ConnectorType").enum}
    assert not {label.lower() for label in managed.LABELS} & builtin


@pytest.mark.parametrize("label", managed.LABELS)
def test_configuration_fits_describe_connectors_output(label: str) -> None:
    config = managed.configuration(label)
    assert shape_errors(config, CONFIGURATION) == []
    validate_input(DESCRIBE_CONNECTOR, {"connectorConfiguration": dict(config)})  # patterns, lengths, enums


@pytest.mark.parametrize("label", managed.LABELS)
def test_configuration_survives_botocores_parser(label: str) -> None:
    """botocore drops unmodelled members when parsing; a lossless round trip means none exist."""
    config = dict(managed.configuration(label))
    body = json.dumps({"connectorConfiguration": config}).encode()
    parsed = RestJSONParser().parse({"status_code": 200, "headers": {}, "body": body}, DESCRIBE_CONNECTOR)
    parsed.pop("ResponseMetadata", None)
    assert parsed == {"connectorConfiguration": config}


@pytest.mark.parametrize("label", managed.LABELS)
def test_detail_fits_connector_detail(label: str) -> None:
    declared = managed.declaration(label)
    assert declared is not None
    detail = declared.detail()
    assert shape_errors(detail, DETAIL) == []
    validate_input(DESCRIBE_CONNECTORS, {"connectorConfigurations": {}, "connectors": [detail]})
    assert detail["connectorLabel"] == label and detail["connectorType"] == "CustomConnector"


@pytest.mark.parametrize("label", managed.LABELS)
def test_configuration_is_consistent(label: str) -> None:
    config = managed.configuration(label)
    assert config["connectorType"] == "CustomConnector"
    assert config["connectorLabel"] == label
    assert config["connectorProvisioningType"] == "LAMBDA"
    assert config["canUseAsSource"] or config["canUseAsDestination"]
    modes = [m for m, on in (("SOURCE", config["canUseAsSource"]), ("DESTINATION", config["canUseAsDestination"]))
             if on]
    assert config["connectorModes"] == modes
    if config["canUseAsSource"]:
        assert "CustomConnector" in config["supportedDestinationConnectors"]
        assert set(config["supportedTriggerTypes"]) == {"OnDemand", "Scheduled"}
        assert set(config["supportedOperators"]) == set(MODEL.shape_for("Operators").enum)
    else:
        assert config["supportedDestinationConnectors"] == [] and "supportedOperators" not in config
    if config["canUseAsDestination"]:
        assert "INSERT" in config["supportedWriteOperations"]
    auth = config["authenticationConfig"]
    assert any(auth[flag] for flag in ("isBasicAuthSupported", "isApiKeyAuthSupported", "isOAuth2Supported",
                                       "isCustomAuthSupported"))
    assert auth["isOAuth2Supported"] is ("oAuth2Defaults" in auth)
    assert auth["isCustomAuthSupported"] is bool(auth.get("customAuthConfigs"))
    for url in (auth.get("oAuth2Defaults") or {}).get("tokenUrls", []):
        assert url.startswith("https://")
    names = [c["customAuthenticationType"] for c in auth.get("customAuthConfigs", [])]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("declared", MANAGED, ids=lambda d: d.label)
def test_each_label_names_its_user_guide_page(declared: Any) -> None:
    assert declared.source_doc.startswith(GUIDE + "connectors-")


def _run() -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/nonexistent")


def test_unbuilt_label_ends_runs_naming_the_missing_data_path() -> None:
    label = "MicrosoftSharePointOnline"
    spec = managed.spec(label)
    assert spec is not None and spec.label == label and spec.connector_type == "CustomConnector"
    assert not managed.data_path_built(label)
    assert spec.open_destination is None  # SharePoint Online is a source only
    assert spec.open_source is not None
    with pytest.raises(ConnectorError) as refused:
        spec.open_source(ProfileView(name="p", connector_type="CustomConnector", connector_label=label), {}, _run())
    assert refused.value.code == "InvalidArgument"
    assert f"data path for the managed connector {label} not built" in refused.value.message
    assert not refused.value.transient


def test_destination_only_label_has_no_source() -> None:
    spec = managed.spec("AmazonRDSPostgreSQL")
    assert spec is not None and spec.open_source is None and spec.open_destination is not None


def test_unknown_labels_are_not_managed() -> None:
    assert managed.spec("github") is None  # labels are case-sensitive, as AppFlow's are
    assert managed.spec(None) is None
    assert not managed.is_managed("my-own-connector")


calls: list[str] = []


def _package_check(profile: ProfileView) -> dict[str, Any]:
    calls.append("package")
    return {**profile.credentials, "exchanged": "yes"}


PACKAGE_SPEC = ConnectorSpec(connector_type="Whatever", capabilities={"canUseAsSource": False},
                             check_profile=_package_check, open_source=lambda *a: "reader")


def test_a_built_data_path_plugs_in_with_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package gives behaviour; the label's configuration stays the declaration's."""
    monkeypatch.setitem(data_paths.DATA_PATHS, "Stripe", f"{__name__}:PACKAGE_SPEC")
    managed.spec.cache_clear()
    try:
        spec = managed.spec("Stripe")
        assert spec is not None
        assert managed.data_path_built("Stripe")
        assert spec.capabilities == managed.configuration("Stripe")
        assert (spec.connector_type, spec.label) == ("CustomConnector", "Stripe")
        assert spec.open_source is PACKAGE_SPEC.open_source
        profile = ProfileView(name="p", connector_type="CustomConnector", connector_label="Stripe",
                              credentials={"authenticationType": "APIKEY", "apiKey": {"apiKey": "sk_test_0000"}})
        assert spec.check_profile is not None
        assert spec.check_profile(profile)["exchanged"] == "yes"
        assert calls == ["package"]
        wrong = replace(profile, credentials={"authenticationType": "BASIC",
                                              "basic": {"username": "u", "password": "p"}})
        with pytest.raises(ConnectorError):  # the declaration refuses before the package is asked
            spec.check_profile(wrong)
        assert calls == ["package"]
    finally:
        managed.spec.cache_clear()


def test_a_data_path_entry_must_name_a_spec() -> None:
    with pytest.raises(TypeError):
        data_paths.load("Stripe", {"Stripe": f"{__name__}:CDK_LABELS"})


def test_the_docs_list_every_label_with_its_data_path_status() -> None:
    doc = (Path(__file__).parents[4] / "docs" / "connectors" / "managed.md").read_text()
    rows = {line.split("|")[1].strip().strip("`"): line.rstrip("|").rsplit("|", 1)[1].strip()
            for line in doc.splitlines() if line.startswith("| `")}
    assert list(rows) == list(managed.LABELS)
    for label, status in rows.items():
        assert status == ("built" if managed.data_path_built(label) else "not built"), label


def test_the_readme_lists_every_label_with_its_data_path_status() -> None:
    readme = (Path(__file__).parents[4] / "README.md").read_text()
    section = readme.split("### AWS-managed labels", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`"): line.rstrip("|").rsplit("|", 1)[1].strip()
            for line in section.splitlines() if line.startswith("| `")}
    assert list(rows) == list(managed.LABELS)
    for label, status in rows.items():
        assert status == ("built" if managed.data_path_built(label) else "not built"), label
