"""Amazon S3 entity metadata (connectors layer): buckets, folders and data files as entities.

`ListConnectorEntities` walks S3 like a file tree: without a parent it lists buckets; with a
parent `bucket` or `bucket/prefix` it lists the folders (common prefixes) and data files
(`.csv`, `.json`, `.jsonl`, `.parquet`) directly under it. Entity names are `bucket/key`.
`DescribeConnectorEntity` infers fields from one data file - the entity itself when it is a file,
else the first file under the prefix - reading as little as it can: the first 64 KiB of a CSV or
JSON-lines object, the footer of a Parquet object.

The boto3 client is built with `boto3.client("s3")`, so `AWS_ENDPOINT_URL_S3` /
`AWS_ENDPOINT_URL` and the usual credential chain apply; S3 failures become `ConnectorError`s.
Used lazily through `sluice.connectors.s3.SPEC.load_metadata`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
)

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.s3 import OPERATORS

DATA_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet")
HEAD_BYTES = 64 * 1024

_NOT_FOUND = {"NoSuchBucket", "NoSuchKey", "NotFound", "404"}
_CREDENTIALS = {
    "AccessDenied",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "403",
}
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"}
_INVALID = {"InvalidBucketName", "InvalidArgument", "InvalidObjectState"}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")

ClientFactory = Callable[[], Any]


def _default_client() -> Any:
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return boto3.client("s3", region_name=region)


class S3Metadata:
    """`MetadataProvider` for S3. S3 needs no connector profile; `profile` is not read."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory or _default_client

    def list_entities(
        self,
        profile: ProfileView | None,
        parent: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> EntityPage:
        client = self._client_factory()
        if not parent:
            return _list_buckets(client, max_results, next_token)
        bucket, prefix = split_entity(parent)
        prefix = f"{prefix.rstrip('/')}/" if prefix else ""
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
        if max_results:
            params["MaxKeys"] = max_results
        if next_token:
            params["ContinuationToken"] = next_token
        with _s3_errors(client, f"s3://{bucket}/{prefix}"):
            response = client.list_objects_v2(**params)
        entities = [
            _entity(f"{bucket}/{common['Prefix'].rstrip('/')}", nested=True)
            for common in response.get("CommonPrefixes", [])
        ]
        entities += [
            _entity(f"{bucket}/{item['Key']}", nested=False)
            for item in response.get("Contents", [])
            if item["Key"] != prefix and is_data_file(item["Key"])
        ]
        return EntityPage(entities=entities, next_token=response.get("NextContinuationToken"))

    def describe_entity(self, profile: ProfileView | None, entity_name: str) -> list[dict[str, Any]]:
        client = self._client_factory()
        bucket, key = split_entity(entity_name)
        with _s3_errors(client, f"s3://{bucket}/{key}"):
            data_key = key if is_data_file(key) else _first_data_file(client, bucket, key)
            suffix = data_key.lower().rsplit(".", 1)[-1]
            if suffix == "parquet":
                columns = _parquet_columns(client, bucket, data_key)
            else:
                head = _read_head(client, bucket, data_key)
                columns = _csv_columns(head) if suffix == "csv" else _json_columns(head)
        return [entity_field(name, field_type) for name, field_type in columns]


def split_entity(entity_name: str) -> tuple[str, str]:
    """`bucket/some/key` -> (`bucket`, `some/key`); a bare bucket gives an empty key."""
    bucket, _, key = entity_name.strip("/").partition("/")
    if not bucket:
        raise ConnectorError("InvalidArgument", "an S3 entity name starts with a bucket name")
    return bucket, key


def is_data_file(key: str) -> bool:
    """True for the object keys Sluice reads as records."""
    return key.lower().endswith(DATA_SUFFIXES)


def entity_field(name: str, field_type: str) -> dict[str, Any]:
    """One `ConnectorEntityField`, with the properties AppFlow reports for S3 fields."""
    details: dict[str, Any] = {"fieldType": field_type, "filterOperators": list(OPERATORS)}
    if field_type == "Boolean":
        details["supportedValues"] = ["true", "false"]
    return {
        "identifier": name,
        "label": name,
        "supportedFieldTypeDetails": {"v1": details},
        "sourceProperties": {"isRetrievable": True, "isQueryable": True},
        "destinationProperties": {
            "isCreatable": True,
            "isNullable": True,
            "isUpsertable": False,
            "isUpdatable": False,
            "supportedWriteOperations": ["INSERT"],
        },
    }


def _entity(name: str, *, nested: bool) -> dict[str, Any]:
    label = name.rstrip("/").rsplit("/", 1)[-1]
    return {"name": name, "label": label, "hasNestedEntities": nested}


def _list_buckets(client: Any, max_results: int | None, next_token: str | None) -> EntityPage:
    params: dict[str, Any] = {}
    if max_results:
        params["MaxBuckets"] = max_results
    if next_token:
        params["ContinuationToken"] = next_token
    with _s3_errors(client, "the bucket list"):
        response = client.list_buckets(**params)
    buckets = response.get("Buckets", [])
    if max_results:
        buckets = buckets[:max_results]
    entities = [_entity(bucket["Name"], nested=True) for bucket in buckets]
    return EntityPage(entities=entities, next_token=response.get("ContinuationToken"))


def _first_data_file(client: Any, bucket: str, prefix: str) -> str:
    prefix = f"{prefix.rstrip('/')}/" if prefix else ""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if is_data_file(item["Key"]):
                return str(item["Key"])
    raise ConnectorError(
        "ResourceNotFound", f"no .csv, .json, .jsonl or .parquet object under s3://{bucket}/{prefix}"
    )


def _read_head(client: Any, bucket: str, key: str) -> bytes:
    try:
        response = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")
    except ClientError as exc:
        if _error_code(exc) == "InvalidRange":  # S3 answers 416 for a range of an empty object
            raise ConnectorError("InvalidArgument", f"s3://{bucket}/{key} is empty") from exc
        raise
    data: bytes = response["Body"].read()
    if not data.strip():
        raise ConnectorError("InvalidArgument", f"s3://{bucket}/{key} is empty")
    return data


def _csv_columns(head: bytes) -> list[tuple[str, str]]:
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) >= HEAD_BYTES and "\n" not in text:
        raise ConnectorError("InvalidArgument", f"the CSV header row is longer than {HEAD_BYTES} bytes")
    header = next(csv.reader(io.StringIO(text)), [])
    names = [name.strip() or f"column{index + 1}" for index, name in enumerate(header)]
    return [(name, "String") for name in _unique(names)]


def _json_columns(head: bytes) -> list[tuple[str, str]]:
    text = head.decode("utf-8-sig", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        record = json.loads(first_line)
    except ValueError:
        record = None
        if len(head) < HEAD_BYTES:  # the whole object is in hand: a JSON document or array
            with suppress(ValueError):
                record = json.loads(text)
    if isinstance(record, list):
        record = next((item for item in record if isinstance(item, dict)), None)
    if not isinstance(record, dict):
        raise ConnectorError("InvalidArgument", "the first JSON record is not an object")
    return [(str(name), _json_type(value)) for name, value in record.items()]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        if _DATE.fullmatch(value):
            return "Date"
        if _DATETIME.fullmatch(value):
            return "DateTime"
    return "String"


def _parquet_columns(client: Any, bucket: str, key: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
    try:
        schema = pq.read_schema(_RangeFile(client, bucket, key, size))
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on bad footers
        raise ConnectorError("InvalidArgument", f"s3://{bucket}/{key} is not a Parquet file: {exc}") from exc
    return [(field.name, _arrow_type(field.type)) for field in schema]


def _arrow_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "Boolean"
    if pa.types.is_integer(arrow_type):
        return "Integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "Double"
    if pa.types.is_date(arrow_type):
        return "Date"
    if pa.types.is_timestamp(arrow_type):
        return "DateTime"
    return "String"


class _RangeFile(io.RawIOBase):
    """A read-only, seekable view of one S3 object that fetches only the bytes asked for."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._size - self._position)
        if count <= 0:
            return 0
        end = self._position + count - 1
        response = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={self._position}-{end}"
        )
        data = response["Body"].read()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return result


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _s3_errors(client: Any, target: str) -> Iterator[None]:
    """Turn botocore failures into `ConnectorError`s naming `target` (and the endpoint)."""
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        detail = exc.response.get("Error", {}).get("Message") or code
        if code in _NOT_FOUND:
            raise ConnectorError("ResourceNotFound", f"{target} does not exist: {detail}") from exc
        if code in _CREDENTIALS:
            raise ConnectorError("InvalidCredentials", f"S3 refused access to {target}: {detail}") from exc
        if code in _THROTTLED:
            raise ConnectorError("ThrottlingError", f"S3 throttled a request for {target}") from exc
        if code in _INVALID:
            raise ConnectorError("InvalidArgument", f"{target}: {detail}") from exc
        raise ConnectorError("ServerError", f"S3 failed on {target}: {code} {detail}") from exc
    except NoCredentialsError as exc:
        raise ConnectorError("InvalidCredentials", "no AWS credentials are configured for S3") from exc
    except ReadTimeoutError as exc:
        endpoint = client.meta.endpoint_url
        raise ConnectorError("ConnectorTimeout", f"S3 at {endpoint} timed out on {target}") from exc
    except HTTPClientError as exc:
        endpoint = client.meta.endpoint_url
        raise ConnectorError("ServerError", f"could not reach S3 at {endpoint}: {exc}") from exc
    except BotoCoreError as exc:
        raise ConnectorError("ServerError", f"S3 request for {target} failed: {exc}") from exc
