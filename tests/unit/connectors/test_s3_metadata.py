"""S3 entity metadata against moto's S3 in server mode (a real HTTP endpoint on 127.0.0.1)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber

from sluice.connectors import registry
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.s3 import OPERATORS
from sluice.connectors.s3.metadata import S3Metadata
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.model_oracle import MODEL, shape_errors

BUCKET = "sluice-meta"
NO_PROFILE = ProfileView(name=None, connector_type="S3")


moto_endpoint = s3_fixtures.moto_endpoint  # one moto server per session, shared with the other S3 tests


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(
        Bucket=BUCKET, Key="sales/2024/orders.csv", Body=b"\xef\xbb\xbfid,name, amount\n1,a,2.5\n"
    )
    records = [
        {"id": 7, "ok": True, "price": 1.5, "day": "2024-05-01", "at": "2024-05-01T10:00:00Z", "tags": []}
    ]
    client.put_object(
        Bucket=BUCKET, Key="events/part-1.jsonl", Body="\n".join(map(json.dumps, records)).encode()
    )
    table = pa.table(
        {
            "id": pa.array([1], pa.int64()),
            "score": pa.array([0.5], pa.float64()),
            "name": pa.array(["x"], pa.string()),
            "active": pa.array([True], pa.bool_()),
            "born": pa.array([0], pa.date32()),
            "seen": pa.array([0], pa.timestamp("ms")),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    client.put_object(Bucket=BUCKET, Key="warehouse/users.parquet", Body=buffer.getvalue())
    client.put_object(Bucket=BUCKET, Key="readme.txt", Body=b"not data")
    client.put_object(Bucket=BUCKET, Key="empty.csv", Body=b"")
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def metadata(s3: Any) -> S3Metadata:
    spec = registry.CONNECTORS["S3"]
    assert spec.load_metadata is not None and not spec.requires_profile
    provider = spec.load_metadata()
    assert isinstance(provider, S3Metadata)
    return provider


def types_of(fields: list[dict[str, Any]]) -> dict[str, str]:
    return {field["identifier"]: field["supportedFieldTypeDetails"]["v1"]["fieldType"] for field in fields}


def test_lists_buckets_as_nested_entities(metadata: S3Metadata) -> None:
    page = metadata.list_entities(NO_PROFILE, None, None, None)
    assert {"name": BUCKET, "label": BUCKET, "hasNestedEntities": True} in page.entities


def test_lists_folders_and_data_files_under_a_bucket(metadata: S3Metadata) -> None:
    page = metadata.list_entities(NO_PROFILE, BUCKET, None, None)
    assert page.entities == [
        {"name": f"{BUCKET}/events", "label": "events", "hasNestedEntities": True},
        {"name": f"{BUCKET}/sales", "label": "sales", "hasNestedEntities": True},
        {"name": f"{BUCKET}/warehouse", "label": "warehouse", "hasNestedEntities": True},
        {"name": f"{BUCKET}/empty.csv", "label": "empty.csv", "hasNestedEntities": False},
    ]
    assert page.next_token is None
    nested = metadata.list_entities(NO_PROFILE, f"{BUCKET}/sales/", None, None)
    assert nested.entities == [{"name": f"{BUCKET}/sales/2024", "label": "2024", "hasNestedEntities": True}]
    leaf = metadata.list_entities(NO_PROFILE, f"{BUCKET}/sales/2024", None, None)
    assert leaf.entities == [
        {"name": f"{BUCKET}/sales/2024/orders.csv", "label": "orders.csv", "hasNestedEntities": False}
    ]


def test_paginates_with_the_continuation_token(metadata: S3Metadata) -> None:
    first = metadata.list_entities(NO_PROFILE, BUCKET, 2, None)
    assert len(first.entities) == 2 and first.next_token
    rest = metadata.list_entities(NO_PROFILE, BUCKET, 10, first.next_token)
    names = [entity["name"] for entity in first.entities + rest.entities]
    assert f"{BUCKET}/empty.csv" in names and f"{BUCKET}/warehouse" in names
    assert rest.next_token is None


def test_describes_a_csv_header_as_string_fields(metadata: S3Metadata) -> None:
    fields = metadata.describe_entity(NO_PROFILE, f"{BUCKET}/sales")
    assert types_of(fields) == {"id": "String", "name": "String", "amount": "String"}
    first = fields[0]
    assert first["label"] == "id"
    assert first["supportedFieldTypeDetails"]["v1"]["filterOperators"] == list(OPERATORS)
    assert first["sourceProperties"] == {"isRetrievable": True, "isQueryable": True}
    assert first["destinationProperties"] == {
        "isCreatable": True,
        "isNullable": True,
        "isUpsertable": False,
        "isUpdatable": False,
        "supportedWriteOperations": ["INSERT"],
    }


def test_describes_json_lines_with_inferred_types(metadata: S3Metadata) -> None:
    fields = metadata.describe_entity(NO_PROFILE, f"{BUCKET}/events/part-1.jsonl")
    assert types_of(fields) == {
        "id": "Integer",
        "ok": "Boolean",
        "price": "Double",
        "day": "Date",
        "at": "DateTime",
        "tags": "String",
    }
    assert fields[1]["supportedFieldTypeDetails"]["v1"]["supportedValues"] == ["true", "false"]


def test_describes_parquet_from_its_footer(metadata: S3Metadata) -> None:
    fields = metadata.describe_entity(NO_PROFILE, f"{BUCKET}/warehouse")
    assert types_of(fields) == {
        "id": "Integer",
        "score": "Double",
        "name": "String",
        "active": "Boolean",
        "born": "Date",
        "seen": "DateTime",
    }


def test_fields_fit_the_connector_entity_field_shape(metadata: S3Metadata) -> None:
    shape = MODEL.shape_for("ConnectorEntityField")
    for fields in (
        metadata.describe_entity(NO_PROFILE, f"{BUCKET}/warehouse"),
        metadata.describe_entity(NO_PROFILE, f"{BUCKET}/events"),
    ):
        for field in fields:
            assert shape_errors(field, shape) == []
    entity_shape = MODEL.shape_for("ConnectorEntity")
    for entity in metadata.list_entities(NO_PROFILE, BUCKET, None, None).entities:
        assert shape_errors(entity, entity_shape) == []


@pytest.mark.parametrize(
    ("entity", "code"),
    [
        ("no-such-bucket-here", "ResourceNotFound"),
        (f"{BUCKET}/nothing/here", "ResourceNotFound"),
        (f"{BUCKET}/missing.csv", "ResourceNotFound"),
        (f"{BUCKET}/empty.csv", "InvalidArgument"),
    ],
)
def test_describe_errors(metadata: S3Metadata, entity: str, code: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        metadata.describe_entity(NO_PROFILE, entity)
    assert caught.value.code == code


def test_missing_bucket_is_resource_not_found(metadata: S3Metadata) -> None:
    with pytest.raises(ConnectorError) as caught:
        metadata.list_entities(NO_PROFILE, "no-such-bucket-here", None, None)
    assert caught.value.code == "ResourceNotFound"
    assert not caught.value.transient


def test_unreachable_endpoint_is_a_server_error(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{s3_fixtures.free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(ConnectorError) as caught:
        S3Metadata().list_entities(NO_PROFILE, None, None, None)
    assert caught.value.code == "ServerError"
    assert endpoint in caught.value.message
    assert caught.value.transient


@pytest.mark.parametrize(
    ("error_code", "status", "expected"),
    [
        ("AccessDenied", 403, "InvalidCredentials"),
        ("InvalidAccessKeyId", 403, "InvalidCredentials"),
        ("NoSuchBucket", 404, "ResourceNotFound"),
        ("SlowDown", 503, "ThrottlingError"),
        ("InternalError", 500, "ServerError"),
    ],
)
def test_s3_error_codes_map_to_connector_errors(error_code: str, status: int, expected: str) -> None:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        stubber.add_client_error("list_objects_v2", error_code, http_status_code=status)
        with pytest.raises(ConnectorError) as caught:
            S3Metadata(client_factory=lambda: client).list_entities(NO_PROFILE, BUCKET, None, None)
    assert caught.value.code == expected
