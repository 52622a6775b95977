"""sluice.protocol.validate: model constraints, worded and located as AWS does."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.validate import MAX_LISTED, java_pattern, validate_input

from ._wire import FLOW_ARN, operation

VALID_CREATE_FLOW: dict[str, Any] = {
    "flowName": "orders-to-s3",
    "description": "Copy orders, nightly.",
    "kmsArn": "arn:aws:kms:us-east-1:123456789012:key/abc",
    "triggerConfig": {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {
                "scheduleExpression": "rate(1days)",
                "dataPullMode": "Incremental",
                "scheduleStartTime": dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
                "scheduleOffset": 3600,
                "flowErrorDeactivationThreshold": 5,
            }
        },
    },
    "sourceFlowConfig": {
        "connectorType": "Salesforce",
        "connectorProfileName": "my-salesforce",
        "sourceConnectorProperties": {"Salesforce": {"object": "Account", "enableDynamicFieldUpdate": False}},
        "incrementalPullConfig": {"datetimeTypeFieldName": "LastModifiedDate"},
    },
    "destinationFlowConfigList": [
        {
            "connectorType": "S3",
            "destinationConnectorProperties": {
                "S3": {
                    "bucketName": "my-bucket",
                    "bucketPrefix": "orders",
                    "s3OutputFormatConfig": {
                        "fileType": "PARQUET",
                        "aggregationConfig": {"targetFileSize": 128},
                    },
                }
            },
        }
    ],
    "tasks": [
        {
            "sourceFields": ["Id", "Name"],
            "connectorOperator": {"Salesforce": "PROJECTION"},
            "taskType": "Filter",
        },
        {
            "sourceFields": ["Id"],
            "connectorOperator": {"Salesforce": "NO_OP"},
            "destinationField": "Id",
            "taskType": "Map",
            "taskProperties": {"DESTINATION_DATA_TYPE": "id", "SOURCE_DATA_TYPE": "id"},
        },
    ],
    "tags": {"team": "data", "cost-centre": "42"},
    "metadataCatalogConfig": {
        "glueDataCatalog": {
            "roleArn": "arn:aws:iam::123456789012:role/glue",
            "databaseName": "lake",
            "tablePrefix": "appflow_€_",
        }
    },
    "clientToken": "token-1",
}


def _errors(op_name: str, params: dict[str, Any]) -> str:
    with pytest.raises(ProtocolError) as info:
        validate_input(operation(op_name).input_shape, params)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


def _create_flow(**changes: Any) -> dict[str, Any]:
    params = copy.deepcopy(VALID_CREATE_FLOW)
    params.update(changes)
    return params


def test_valid_inputs_pass() -> None:
    # botocore's own validator is the oracle that the hand-written input is well formed.
    assert not ParamValidator().validate(VALID_CREATE_FLOW, operation("CreateFlow").input_shape).has_errors()
    validate_input(operation("CreateFlow").input_shape, VALID_CREATE_FLOW)
    validate_input(operation("TagResource").input_shape, {"resourceArn": FLOW_ARN, "tags": {"a": "b"}})
    validate_input(operation("UntagResource").input_shape, {"resourceArn": FLOW_ARN, "tagKeys": ["a"]})
    validate_input(operation("ListFlows").input_shape, {"maxResults": 100})
    validate_input(operation("ListFlows").input_shape, {})


def test_every_model_pattern_compiles() -> None:
    model = service_model()
    patterns = {
        shape.metadata["pattern"]
        for shape in map(model.shape_for, model.shape_names)
        if "pattern" in shape.metadata
    }
    assert len(patterns) > 20
    for pattern in patterns:
        assert isinstance(java_pattern(pattern), re.Pattern)


def test_missing_required_members_name_their_paths() -> None:
    params = _create_flow()
    del params["flowName"]
    params["sourceFlowConfig"]["connectorType"] = None
    assert _errors("CreateFlow", params) == (
        "2 validation errors detected: "
        "Value null at 'flowName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'sourceFlowConfig.connectorType' failed to satisfy constraint: Member must not be null"
    )


def test_pattern_is_matched_against_the_whole_value() -> None:
    assert _errors("CreateFlow", _create_flow(flowName="my flow")) == (
        "1 validation error detected: Value 'my flow' at 'flowName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9][\\w!@#.-]+"
    )
    # "ab" matches a prefix of "ab cd" but not all of it
    assert "at 'flowName'" in _errors("CreateFlow", _create_flow(flowName="ab cd"))


def test_java_ascii_classes() -> None:
    # Java's \w is ASCII: a flow name with 'é' is refused
    assert "at 'flowName'" in _errors("CreateFlow", _create_flow(flowName="café"))


def test_length_constraints() -> None:
    message = _errors("CreateFlow", _create_flow(flowName="a" * 257))
    assert (
        "at 'flowName' failed to satisfy constraint: Member must have length less than or equal to 256"
        in message
    )
    message = _errors("CreateFlow", _create_flow(clientToken=""))
    assert message == (
        "2 validation errors detected: Value '' at 'clientToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '' at 'clientToken' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [ -~]+"
    )


def test_enum_constraint_lists_the_model_values() -> None:
    params = _create_flow()
    params["triggerConfig"]["triggerType"] = "Never"
    assert _errors("CreateFlow", params) == (
        "1 validation error detected: Value 'Never' at 'triggerConfig.triggerType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Scheduled, Event, OnDemand]"
    )


def test_nested_list_paths_use_indexes() -> None:
    params = _create_flow()
    params["tasks"][1]["connectorOperator"]["Salesforce"] = "NOPE"
    params["destinationFlowConfigList"][0]["destinationConnectorProperties"]["S3"]["bucketName"] = "a"
    message = _errors("CreateFlow", params)
    assert "Value 'NOPE' at 'tasks[1].connectorOperator.Salesforce' failed" in message
    assert (
        "Value 'a' at 'destinationFlowConfigList[0].destinationConnectorProperties.S3.bucketName' failed to "
        "satisfy constraint: Member must have length greater than or equal to 3"
    ) in message


def test_numeric_ranges() -> None:
    assert _errors("ListFlows", {"maxResults": 101}) == (
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )
    assert "Member must have value greater than or equal to 1" in _errors("ListFlows", {"maxResults": 0})



def test_numbers_past_the_wire_type_are_out_of_range() -> None:
    """`integer` is int32 and `long` int64 even where the model gives no range."""
    assert "Member must have value less than or equal to 2147483647" in _errors("ListFlows", {"maxResults": 2**31})
    destination = {"connectorType": "S3", "destinationConnectorProperties": {"S3": {
        "bucketName": "b", "s3OutputFormatConfig": {"aggregationConfig": {"targetFileSize": 10**30}}}}}
    flow = {"flowName": "f", "triggerConfig": {"triggerType": "OnDemand"}, "tasks": [],
            "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {"bucketName": "b"}}},
            "destinationFlowConfigList": [destination]}
    message = _errors("CreateFlow", flow)
    assert "targetFileSize" in message and "less than or equal to 9223372036854775807" in message
    flow["destinationFlowConfigList"][0]["destinationConnectorProperties"]["S3"]["s3OutputFormatConfig"] = {
        "aggregationConfig": {"targetFileSize": -(2**63) - 1}}
    assert "greater than or equal to -9223372036854775808" in _errors("CreateFlow", flow)


@pytest.mark.parametrize(
    ("params", "path", "kind"),
    [
        ({"maxResults": True}, "maxResults", "integer"),  # a JSON boolean is not an integer
        ({"maxResults": 1.5}, "maxResults", "integer"),
        ({"nextToken": 5}, "nextToken", "string"),
    ],
)
def test_wrong_json_types(params: dict[str, Any], path: str, kind: str) -> None:
    assert f"at '{path}' failed to satisfy constraint: Member must be of type {kind}" in _errors(
        "ListFlows", params
    )


@pytest.mark.parametrize(
    ("changes", "path", "kind"),
    [
        ({"tasks": "all"}, "tasks", "list"),
        ({"tags": ["a"]}, "tags", "map"),
        ({"triggerConfig": "OnDemand"}, "triggerConfig", "structure"),
    ],
)
def test_wrong_container_types(changes: dict[str, Any], path: str, kind: str) -> None:
    message = _errors("CreateFlow", _create_flow(**changes))
    assert f"at '{path}' failed to satisfy constraint: Member must be of type {kind}" in message


def test_boolean_and_timestamp_types() -> None:
    params = _create_flow()
    params["sourceFlowConfig"]["sourceConnectorProperties"]["Salesforce"]["enableDynamicFieldUpdate"] = "no"
    params["triggerConfig"]["triggerProperties"]["Scheduled"]["scheduleStartTime"] = 1700000000
    message = _errors("CreateFlow", params)
    assert "Member must be of type boolean" in message
    assert "at 'triggerConfig.triggerProperties.Scheduled.scheduleStartTime'" in message


def test_list_size_and_member_constraints() -> None:
    message = _errors("UntagResource", {"resourceArn": FLOW_ARN, "tagKeys": ["ok", "aws:no", *["k"] * 49]})
    assert message.startswith("2 validation errors detected: ")
    assert (
        "at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
        in message
    )
    assert (
        "Value 'aws:no' at 'tagKeys[1]' failed to satisfy constraint: Member must satisfy regular" in message
    )
    assert "Value null at 'tagKeys[0]'" in _errors(
        "UntagResource", {"resourceArn": FLOW_ARN, "tagKeys": [None]}
    )


def test_map_size_keys_and_values() -> None:
    too_many = {f"k{i}": "v" for i in range(51)}
    message = _errors("TagResource", {"resourceArn": FLOW_ARN, "tags": too_many})
    assert (
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50" in message
    )
    message = _errors("TagResource", {"resourceArn": FLOW_ARN, "tags": {"aws:x": "v", "ok": "v" * 257}})
    assert (
        "Value 'aws:x' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must satisfy regular expression pattern: ^(?!aws:)[a-zA-Z+-=._:/]+$]"
    ) in message
    assert (
        "at 'tags[ok]' failed to satisfy constraint: Member must have length less than or equal to 256"
        in message
    )


def test_sensitive_values_are_not_echoed() -> None:
    params = {
        "connectorProfileName": "p",
        "connectionMode": "Public",
        "connectorType": "Snowflake",
        "connectorProfileConfig": {
            "connectorProfileProperties": {},
            "connectorProfileCredentials": {"Snowflake": {"username": "u", "password": "hunter2\n"}},
        },
    }
    message = _errors("CreateConnectorProfile", params)
    assert "hunter2" not in message
    assert (
        "Value at 'connectorProfileConfig.connectorProfileCredentials.Snowflake.password' failed" in message
    )


def test_all_violations_are_counted_but_only_some_listed() -> None:
    tags = {f"aws:{i}": "v" for i in range(30)}
    message = _errors("TagResource", {"resourceArn": "x", "tags": tags})
    assert message.startswith("31 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == MAX_LISTED


def test_long_values_are_shortened_in_messages() -> None:
    message = _errors("CreateFlow", _create_flow(flowName="!" * 5000))
    assert len(message) < 1000
    assert "..." in message


def test_collections_render_as_java_does() -> None:
    message = _errors("UntagResource", {"resourceArn": FLOW_ARN, "tagKeys": ["a"] * 51})
    assert "Value '[a, a, a" in message


@pytest.mark.parametrize(
    ("java", "matches", "misses"),
    [
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", ["a 😀\t€"], ["\n"]),
        ("^$|com.amazonaws.vpce.[\\w/!:@#.\\-]+", ["", "com.amazonaws.vpce.x"], ["x", "com.amazonaws.vpce."]),
        ("\\p{Alpha}[\\p{Digit}_]\\Qa.b\\E", ["x1a.b", "x_a.b"], ["x1axb", "11a.b"]),
        ("[^\\p{Space}]+\\z", ["ab"], ["a b"]),
        ("(?<word>\\w+)-\\k<word>", ["ab-ab"], ["ab-cd"]),
        ("\\w+", ["abc_1"], ["é"]),
    ],
)
def test_java_pattern_translation(java: str, matches: list[str], misses: list[str]) -> None:
    compiled = java_pattern(java)
    for value in matches:
        assert compiled.fullmatch(value), value
    for value in misses:
        assert not compiled.fullmatch(value), value


@pytest.mark.parametrize("java", ["\\p{InGreek}", "[a\\P{Alpha}]"])
def test_untranslatable_pattern_is_reported(java: str) -> None:
    with pytest.raises(ValueError):
        java_pattern(java)


def test_union_needs_exactly_one_member() -> None:
    model = ServiceModel(
        {
            "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "endpointPrefix": "x"},
            "operations": {},
            "shapes": {
                "Choice": {
                    "type": "structure",
                    "union": True,
                    "members": {"a": {"shape": "Str"}, "b": {"shape": "Str"}},
                },
                "Str": {"type": "string"},
            },
        },
        "x",
    )
    shape = model.shape_for("Choice")
    validate_input(shape, {"a": "1"})
    for params in ({}, {"a": "1", "b": "2"}):
        with pytest.raises(ProtocolError) as info:
            validate_input(shape, params)
        assert "Member must have exactly one member set" in info.value.message


def test_dot_excludes_java_line_terminators() -> None:
    """Java's `.` matches no line terminator, so neither may the translated pattern."""
    from sluice.protocol.validate import java_pattern

    dot = java_pattern(".*")
    assert dot.fullmatch("flow-1 ok")
    for terminator in ("\n", "\r", "\u0085", "\u2028", "\u2029"):
        assert not dot.fullmatch(f"a{terminator}b")
    assert java_pattern("[.]x").fullmatch(".x") and not java_pattern("[.]x").fullmatch("ax")


@pytest.mark.parametrize("label", ["airbyte/source-faker", "singer/tap-x@1.2.0", "airbyte.source-faker"])
def test_external_connector_labels_pass_the_label_pattern(label: str) -> None:
    validate_input(operation("DescribeConnector").input_shape,
                   {"connectorType": "CustomConnector", "connectorLabel": label})


@pytest.mark.parametrize("label", ["other/source-faker", "airbyte/", "airbyte/../x", "a b"])
def test_other_labels_still_meet_the_models_pattern(label: str) -> None:
    with pytest.raises(ProtocolError) as info:
        validate_input(operation("DescribeConnector").input_shape,
                       {"connectorType": "CustomConnector", "connectorLabel": label})
    assert "regular expression pattern" in str(info.value.message)
