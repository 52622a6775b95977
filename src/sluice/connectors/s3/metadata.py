"""Amazon S3 entity metadata (connectors layer): buckets, folders and data files as entities.

`ListConnectorEntities` walks S3 like a file tree: without a parent it lists buckets; with a
parent `bucket` or `bucket/prefix` it lists the folders (common prefixes) and data files
(`.csv`, `.json`, `.jsonl`, `.parquet`) directly under it. Entity names are `bucket/key`.
`DescribeConnectorEntity` infers fields from one data file - the entity itself when it is a file,
else the first file under the prefix - reading as little as it can: the first 64 KiB of a CSV or
JSON-lines object, the footer of a Parquet object.

Objects are reached through `sluice.connectors.s3.storage` (the embedded local store or real
S3, chosen as docs/s3.md says); failures arrive as `ConnectorError`s. Used lazily through
`sluice.connectors.s3.SPEC.load_metadata`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.s3 import OPERATORS
from sluice.connectors.s3.storage import AwsStorage, Storage, open_storage

DATA_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet")
HEAD_BYTES = 64 * 1024

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")

ClientFactory = Callable[[], Any]
StorageFactory = Callable[[], Storage]


class S3Metadata:
    """`MetadataProvider` for S3. S3 needs no connector profile; of `profile` only `aws` and
    `buckets` are read.

    Each call opens the backend with `open_storage(aws=profile.aws, buckets=profile.buckets)`
    (which reads the environment each time), so real S3 is signed as the profile's account and
    the local store shows the caller only the buckets its account may use. `storage_factory`
    replaces that; `client_factory` is a shortcut for real S3 with a given boto3 client (tests
    stub both).
    """

    def __init__(
        self, client_factory: ClientFactory | None = None, storage_factory: StorageFactory | None = None
    ) -> None:
        self._client_factory = client_factory
        self._storage_factory = storage_factory

    def _storage(self, profile: ProfileView | None) -> Storage:
        """The backend for one call, as the account's AWS identity and bucket policy."""
        if self._storage_factory is not None:
            return self._storage_factory()
        aws = profile.aws if profile is not None else None
        if self._client_factory is not None:
            return AwsStorage(self._client_factory, aws=aws)
        return open_storage(aws=aws, buckets=profile.buckets if profile is not None else None)

    def list_entities(
        self,
        profile: ProfileView | None,
        parent: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> EntityPage:
        storage = self._storage(profile)
        if not parent:
            with storage.errors("the bucket list"):
                names, token = storage.list_buckets(max_results, next_token)
            return EntityPage(entities=[_entity(name, nested=True) for name in names], next_token=token)
        bucket, prefix = split_entity(parent)
        prefix = f"{prefix.rstrip('/')}/" if prefix else ""
        with storage.errors(storage.location(bucket, prefix)):
            listing = storage.list_level(bucket, prefix, max_results, next_token)
        entities = [_entity(f"{bucket}/{folder.rstrip('/')}", nested=True) for folder in listing.folders]
        entities += [
            _entity(f"{bucket}/{item.key}", nested=False)
            for item in listing.objects
            if item.key != prefix and is_data_file(item.key)
        ]
        return EntityPage(entities=entities, next_token=listing.next_token)

    def describe_entity(self, profile: ProfileView | None, entity_name: str) -> list[dict[str, Any]]:
        storage = self._storage(profile)
        bucket, key = split_entity(entity_name)
        with storage.errors(storage.location(bucket, key)):
            data_key = key if is_data_file(key) else _first_data_file(storage, bucket, key)
            suffix = data_key.lower().rsplit(".", 1)[-1]
            if suffix == "parquet":
                columns = _parquet_columns(storage, bucket, data_key)
            else:
                head = _read_head(storage, bucket, data_key)
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


def _first_data_file(storage: Storage, bucket: str, prefix: str) -> str:
    prefix = f"{prefix.rstrip('/')}/" if prefix else ""
    for item in storage.walk(bucket, prefix):
        if is_data_file(item.key):
            return item.key
    raise ConnectorError(
        "ResourceNotFound", f"no .csv, .json, .jsonl or .parquet object under s3://{bucket}/{prefix}"
    )


def _read_head(storage: Storage, bucket: str, key: str) -> bytes:
    if storage.head(bucket, key) is None:
        raise ConnectorError("ResourceNotFound", f"{storage.location(bucket, key)} does not exist")
    data = storage.read_head(bucket, key, HEAD_BYTES)
    if not data.strip():
        raise ConnectorError("InvalidArgument", f"s3://{bucket}/{key} is empty")
    return data


def _csv_columns(head: bytes) -> list[tuple[str, str]]:
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) >= HEAD_BYTES and "\n" not in text and "\r" not in text:
        raise ConnectorError("InvalidArgument", f"the CSV header row is longer than {HEAD_BYTES} bytes")
    try:
        # newline=None reads "\r", "\n" and "\r\n" line endings alike, as the run's CSV reader does.
        header = next(csv.reader(io.StringIO(text, newline=None)), [])
    except csv.Error as exc:
        raise ConnectorError("InvalidArgument", f"the CSV header row cannot be read: {exc}") from None
    names = [name.strip() or f"column{index + 1}" for index, name in enumerate(header)]
    return [(name, "String") for name in _unique(names)]


def _json_columns(head: bytes) -> list[tuple[str, str]]:
    text = head.decode("utf-8-sig", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        record = json.loads(first_line)
    except RecursionError:
        raise ConnectorError("InvalidArgument", "the first JSON record nests too deeply to read") from None
    except ValueError:
        record = None
        if len(head) < HEAD_BYTES:  # the whole object is in hand: a JSON document or array
            with suppress(ValueError, RecursionError):
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


def _parquet_columns(storage: Storage, bucket: str, key: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    if storage.head(bucket, key) is None:
        raise ConnectorError("ResourceNotFound", f"{storage.location(bucket, key)} does not exist")
    try:
        with storage.open_input_file(bucket, key) as handle:
            schema = pq.read_schema(handle)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on bad footers
        if isinstance(exc, ConnectorError):
            raise
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


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return result
