"""sluice.protocol.serializer: responses that botocore's rest-json parser reads back."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from sluice.protocol.model import service_model
from sluice.protocol.serializer import request_id_header, serialize_error, serialize_output

from ._wire import operation, sample_value

PARSER = create_parser("rest-json")


def _parse(response: tuple[int, list[tuple[bytes, bytes]], bytes], shape: Any) -> dict[str, Any]:
    status, headers, body = response
    wire = {
        "status_code": status,
        "headers": HeadersDict({k.decode(): v.decode() for k, v in headers}),
        "body": body,
    }
    return PARSER.parse(wire, shape)


@pytest.mark.parametrize("name", service_model().operation_names)
def test_outputs_round_trip_through_botocore(name: str) -> None:
    op = operation(name)
    result = sample_value(op.output_shape)
    parsed = _parse(serialize_output(op, result), op.output_shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result


def test_only_modelled_members_and_no_nulls_are_written() -> None:
    op = operation("DescribeFlow")
    result = {
        "flowArn": "arn",
        "description": None,
        "internalColumn": 1,
        "tasks": [{"sourceFields": ["a"], "taskType": "Map", "secret": "x"}],
        "tags": {"k": "v"},
    }
    status, headers, body = serialize_output(op, result)
    assert status == 200
    assert (b"content-type", b"application/json") in headers
    assert body == b'{"flowArn":"arn","tasks":[{"sourceFields":["a"],"taskType":"Map"}],"tags":{"k":"v"}}'


def test_sluice_extension_members_pass_through_and_botocore_drops_them() -> None:
    op = operation("DescribeFlowExecutionRecords")
    details = {"recordsProcessed": 3, "tasks": [{"index": 0, "rules": {"VALIDATE_NON_NULL": 1}}], "source": None}
    result = {"flowExecutions": [{"executionId": "e1", "sluiceRunDetails": details, "other": 1}]}
    response = serialize_output(op, result)
    assert json.loads(response[2]) == {"flowExecutions": [{"executionId": "e1", "sluiceRunDetails": details}]}
    parsed = _parse(response, op.output_shape)
    assert parsed["flowExecutions"] == [{"executionId": "e1"}]


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC),
        dt.datetime(2023, 11, 14, 23, 13, 20, 123000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2023, 11, 14, 22, 13, 20, 123000),  # naive values are UTC
        1700000000.123,
    ],
)
def test_timestamps_are_epoch_seconds(value: Any) -> None:
    _, _, body = serialize_output(operation("DescribeFlow"), {"createdAt": value})
    assert json.loads(body) == {"createdAt": 1700000000.123}


def test_unicode_is_written_as_utf8() -> None:
    _, _, body = serialize_output(operation("DescribeFlow"), {"description": "naïve €"})
    assert json.loads(body.decode("utf-8")) == {"description": "naïve €"}


@pytest.mark.parametrize("code", sorted(shape.name for shape in service_model().error_shapes))
def test_modelled_errors_round_trip_to_their_code_and_message(code: str) -> None:
    status = service_model().shape_for(code).metadata["error"]["httpStatusCode"]
    response = serialize_error(code, f"bad {code}", status, "req-1")
    assert response[0] == status
    parsed = _parse(response, None)
    assert parsed["Error"] == {"Code": code, "Message": f"bad {code}"}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_real_client_raises_the_modelled_exception() -> None:
    # botocore's whole client path: parse the bytes we write and map the code to its class.
    client = botocore.session.get_session().create_client(
        "appflow",
        region_name="us-east-1",
        endpoint_url="http://sluice.invalid",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
    )
    status, headers, body = serialize_error(
        "ValidationException", "1 validation error detected: x", 400, "rid"
    )

    class _Raw:
        def stream(self, **_: Any) -> Any:
            yield body

    def reply(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(
            request.url, status, HeadersDict({k.decode(): v.decode() for k, v in headers}), _Raw()
        )

    client.meta.events.register("before-send.appflow.*", reply)
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.list_flows()
    assert info.value.response["Error"]["Message"] == "1 validation error detected: x"
    assert info.value.response["ResponseMetadata"]["RequestId"] == "rid"


def test_request_id_header() -> None:
    assert request_id_header("abc") == (b"x-amzn-requestid", b"abc")


def test_header_status_and_payload_members() -> None:
    # AppFlow has none of these; a small model keeps the generic paths honest.
    model = ServiceModel(
        {
            "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "endpointPrefix": "x"},
            "operations": {
                "Op": {
                    "name": "Op",
                    "http": {"method": "GET", "requestUri": "/"},
                    "output": {"shape": "Out"},
                },
                "Pay": {
                    "name": "Pay",
                    "http": {"method": "GET", "requestUri": "/p"},
                    "output": {"shape": "PayOut"},
                },
            },
            "shapes": {
                "Out": {
                    "type": "structure",
                    "members": {
                        "code": {"shape": "Int", "location": "statusCode"},
                        "etag": {"shape": "Str", "location": "header", "locationName": "ETag"},
                        "when": {"shape": "Time", "location": "header", "locationName": "Last-Modified"},
                        "meta": {"shape": "Map", "location": "headers", "locationName": "x-meta-"},
                        "name": {"shape": "Str", "locationName": "Name"},
                    },
                },
                "PayOut": {"type": "structure", "payload": "doc", "members": {"doc": {"shape": "Doc"}}},
                "Doc": {"type": "structure", "members": {"a": {"shape": "Str"}}},
                "Int": {"type": "integer"},
                "Str": {"type": "string"},
                "Time": {"type": "timestamp"},
                "Map": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
            },
        },
        "x",
    )
    when = dt.datetime(2026, 11, 23, 10, 10, 10, tzinfo=dt.UTC)
    result = {"code": 201, "etag": "e", "when": when, "meta": {"a": "1"}, "name": "n"}
    op = model.operation_model("Op")
    response = serialize_output(op, result)
    assert response[0] == 201
    parsed = _parse(response, op.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == result
    assert serialize_output(model.operation_model("Pay"), {"doc": {"a": "x", "b": 1}})[2] == b'{"a":"x"}'
