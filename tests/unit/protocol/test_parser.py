"""sluice.protocol.parser: botocore's serialized requests parse back into the same params."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.model import ServiceModel

from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.parser import parse_request
from sluice.protocol.router import Router

from ._wire import WHEN, botocore_request, operation, sample_params, split

ROUTER = Router()


def _parse_wire(name: str, params: dict[str, Any]) -> dict[str, Any]:
    method, path, query, headers, body = split(botocore_request(operation(name), params))
    op, labels = ROUTER.match(method, path)
    return parse_request(op, labels, query, headers, body)


@pytest.mark.parametrize("name", service_model().operation_names)
def test_botocore_request_round_trips(name: str) -> None:
    params = sample_params(operation(name))
    assert _parse_wire(name, params) == params


def test_timestamps_round_trip_as_aware_utc() -> None:
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {
                "scheduleExpression": "rate(1hours)",
                "scheduleStartTime": WHEN,
                "scheduleEndTime": dt.datetime(2027, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            }
        },
    }
    params = sample_params(operation("UpdateFlow")) | {"triggerConfig": trigger}
    parsed = _parse_wire("UpdateFlow", params)
    scheduled = parsed["triggerConfig"]["triggerProperties"]["Scheduled"]
    assert scheduled["scheduleStartTime"] == WHEN
    assert scheduled["scheduleStartTime"].tzinfo is dt.UTC
    assert scheduled["scheduleEndTime"] == dt.datetime(2026, 12, 31, 22, tzinfo=dt.UTC)


def _scheduled(value: Any) -> bytes:
    body = {
        "flowName": "f",
        "triggerConfig": {"triggerProperties": {"Scheduled": {"scheduleStartTime": value}}},
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "value",
    [1795428610.123, "1795428610.123", "2026-11-23T10:10:10.123Z", "2026-11-23T11:10:10.123+01:00"],
)
def test_timestamp_forms(value: Any) -> None:
    parsed = parse_request(operation("UpdateFlow"), {}, [], {}, _scheduled(value))
    assert parsed["triggerConfig"]["triggerProperties"]["Scheduled"]["scheduleStartTime"] == WHEN


@pytest.mark.parametrize("value", [True, "yesterday", [1], {"a": 1}, 1e300])
def test_bad_timestamp_is_a_validation_error_naming_the_path(value: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(operation("UpdateFlow"), {}, [], {}, _scheduled(value))
    assert info.value.code == "ValidationException"
    assert "at 'triggerConfig.triggerProperties.Scheduled.scheduleStartTime'" in info.value.message
    assert info.value.message.startswith("1 validation error detected: ")


def test_unknown_members_and_nulls_are_dropped_at_every_depth() -> None:
    body = {
        "flowName": "f",
        "bogus": 1,
        "description": None,
        "tasks": [{"taskType": "Map", "sourceFields": ["a"], "extra": {"x": 1}}],
        "tags": {"k": "v"},
    }
    parsed = parse_request(operation("UpdateFlow"), {}, [], {}, json.dumps(body).encode())
    assert parsed == {"flowName": "f", "tasks": [{"taskType": "Map", "sourceFields": ["a"]}]}


def test_uri_and_query_members_are_not_read_from_the_body() -> None:
    body = json.dumps({"resourceArn": "arn:other", "tagKeys": ["x"]}).encode()
    parsed = parse_request(operation("UntagResource"), {"resourceArn": "arn:uri"}, [], {}, body)
    assert parsed == {"resourceArn": "arn:uri", "tagKeys": []}  # no query key: the empty list


def test_required_query_list_without_keys_is_empty() -> None:
    # botocore sends `tagKeys=[]` as no `tagKeys` key at all; the model allows an empty list.
    op = operation("UntagResource")
    assert parse_request(op, {"resourceArn": "a"}, [], {}, b"") == {"resourceArn": "a", "tagKeys": []}
    parsed = parse_request(op, {"resourceArn": "a"}, [("tagKeys", "x"), ("tagKeys", "y")], {}, b"")
    assert parsed == {"resourceArn": "a", "tagKeys": ["x", "y"]}


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}"])
def test_empty_body_is_empty_input(body: bytes) -> None:
    assert parse_request(operation("ListFlows"), {}, [], {}, body) == {}


@pytest.mark.parametrize("body", [b"{", b"[1]", b'"x"', b"null", b'{"maxResults": NaN}', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(operation("ListFlows"), {}, [], {}, body)
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_values_of_the_wrong_type_are_kept_for_the_validator() -> None:
    body = json.dumps({"maxResults": "10", "nextToken": 5}).encode()
    assert parse_request(operation("ListFlows"), {}, [], {}, body) == {"maxResults": "10", "nextToken": 5}


# AppFlow has no header members and only string query members; a small model covers the rest.
_MODEL = ServiceModel(
    {
        "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "endpointPrefix": "x"},
        "operations": {
            "Op": {
                "name": "Op",
                "http": {"method": "PUT", "requestUri": "/things/{id}"},
                "input": {"shape": "OpInput"},
            },
            "Json": {
                "name": "Json",
                "http": {"method": "PUT", "requestUri": "/j"},
                "input": {"shape": "JsonIn"},
            },
            "Raw": {
                "name": "Raw",
                "http": {"method": "PUT", "requestUri": "/r"},
                "input": {"shape": "RawIn"},
            },
        },
        "shapes": {
            "OpInput": {
                "type": "structure",
                "members": {
                    "id": {"shape": "Int", "location": "uri", "locationName": "id"},
                    "limit": {"shape": "Int", "location": "querystring", "locationName": "limit"},
                    "flag": {"shape": "Bool", "location": "querystring", "locationName": "flag"},
                    "since": {"shape": "Time", "location": "querystring", "locationName": "since"},
                    "token": {"shape": "Str", "location": "header", "locationName": "X-Token"},
                    "modified": {"shape": "Time", "location": "header", "locationName": "X-Modified"},
                    "meta": {"shape": "StrMap", "location": "headers", "locationName": "x-meta-"},
                    "rest": {"shape": "StrMap", "location": "querystring"},
                    "bodyName": {"shape": "Str", "locationName": "body_name"},
                },
            },
            "JsonIn": {"type": "structure", "payload": "doc", "members": {"doc": {"shape": "Doc"}}},
            "Doc": {"type": "structure", "members": {"at": {"shape": "Time"}}},
            "RawIn": {"type": "structure", "payload": "data", "members": {"data": {"shape": "Blob"}}},
            "Blob": {"type": "blob"},
            "Int": {"type": "integer"},
            "Bool": {"type": "boolean"},
            "Time": {"type": "timestamp"},
            "Str": {"type": "string"},
            "StrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        },
    },
    "x",
)


def test_uri_query_and_header_members_are_typed_by_their_shapes() -> None:
    op = _MODEL.operation_model("Op")
    parsed = parse_request(
        op,
        {"id": "7"},
        [("limit", "5"), ("flag", "true"), ("since", "2026-11-23T10:10:10.123Z"), ("other", "o")],
        {"x-token": "t", "X-Modified": "Mon, 23 Nov 2026 10:10:10 GMT", "X-Meta-Colour": "red"},
        b'{"body_name": "n", "bodyName": "ignored"}',
    )
    assert parsed == {
        "id": 7,
        "limit": 5,
        "flag": True,
        "since": WHEN,
        "token": "t",
        "modified": WHEN.replace(microsecond=0),
        "meta": {"colour": "red"},
        "rest": {"other": "o"},
        "bodyName": "n",
    }


def test_payload_members_take_the_whole_body() -> None:
    json_op, raw_op = _MODEL.operation_model("Json"), _MODEL.operation_model("Raw")
    assert parse_request(json_op, {}, [], {}, b'{"at": 1795428610.123, "x": 1}') == {"doc": {"at": WHEN}}
    assert parse_request(json_op, {}, [], {}, b"") == {}
    assert parse_request(raw_op, {}, [], {}, b"\x00raw") == {"data": b"\x00raw"}


@pytest.mark.parametrize("depth", [65, 1000, 200_000])
def test_json_nested_deeper_than_the_limit_is_a_serialization_error(depth: int) -> None:
    body = b'{"flowName": "f", "x": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(ProtocolError) as caught:
        parse_request(operation("DescribeFlow"), {}, [], {}, body)
    assert caught.value.code == "SerializationException"
    assert "deeper than 64" in caught.value.message


def test_json_as_deep_as_the_limit_parses() -> None:
    body = b'{"flowName": "f", "x": ' + b"[" * 63 + b"]" * 63 + b"}"
    assert parse_request(operation("DescribeFlow"), {}, [], {}, body) == {"flowName": "f"}


@pytest.mark.parametrize(
    "body",
    [b'{"flowName": "a\\ud800"}', b'{"flowName": "\\uDFFF"}', b'{"x\\udc00": 1, "flowName": "f"}',
     b'{"flowName": "f", "tags": {"k": ["\\ud83d"]}}'],
)
def test_lone_surrogates_are_a_serialization_error(body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_request(operation("DescribeFlow"), {}, [], {}, body)
    assert caught.value.code == "SerializationException"
    assert "surrogate" in caught.value.message


@pytest.mark.parametrize("body", [b'{"flowName": "\\ud83d\\ude00"}', b'{"flowName": "\\\\ud800"}'])
def test_paired_surrogates_and_escaped_backslashes_are_text(body: bytes) -> None:
    assert parse_request(operation("DescribeFlow"), {}, [], {}, body)["flowName"] == json.loads(body)["flowName"]
