"""Where S3 objects live (connectors layer): one interface, two backends.

`open_storage(data_dir)` returns a `Storage`. The metadata provider, the source and the
destination of the S3 connector talk only to it, so they work the same against both backends:

* `LocalStorage` (`local.py`) - the embedded default. Each bucket is a folder
  `<data_dir>/s3/<bucket>/` and each object a file below it. A bucket exists when its folder
  exists; a missing one, or one the calling account may not use, is `ResourceNotFound`, as in S3.
  Symbolic links are never followed.
* `AwsStorage` - real S3 (or MinIO, moto, ...). Object bodies stream through
  `pyarrow.fs.S3FileSystem` (ranged reads, multipart uploads); listing, copying and deleting go
  through boto3, which pages with continuation tokens and never writes the "directory marker"
  objects pyarrow creates when a prefix empties. Both use the standard AWS configuration chain,
  including `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, signed as the account's AWS identity
  (`sluice.connectors.aws_identity`: the server's own for the default account, the account's
  configured keys or role otherwise; an account with none is refused before any call).

Selection: `SLUICE_S3_BACKEND=local|aws`; unset, `aws` when an S3 endpoint URL is configured,
else `local` (see docs/s3.md). Every failure becomes a `ConnectorError`.
"""

from __future__ import annotations

import base64
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sluice.connectors.aws_identity import AwsIdentity, resolve
from sluice.connectors.base import BucketPolicy, ConnectorError
from sluice.settings import SettingsError, current

ENDPOINT_ENVS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object: its key, size in bytes and last-modified time.

    `last_modified` is epoch seconds as the backend lists it (local: the file's mtime, ns
    resolution; aws: `LastModified`, whole seconds on real S3). Incremental pulls compare it with
    the run's window, so every listing of one object must report the same value. It takes no part
    in equality (two listings of the same key and size are the same object).
    """

    key: str
    size: int
    last_modified: float | None = field(default=None, compare=False)


@dataclass(slots=True)
class Listing:
    """One page of a delimited listing: folders (common prefixes, ending in `/`) and objects."""

    folders: list[str] = field(default_factory=list)
    objects: list[ObjectInfo] = field(default_factory=list)
    next_token: str | None = None


class Storage(ABC):
    """Buckets and objects, whichever backend holds them."""

    kind: str

    def location(self, bucket: str, key: str = "") -> str:
        """The `s3://bucket/key` form of an object or prefix (both backends)."""
        return f"s3://{bucket}/{key}"

    @abstractmethod
    def list_buckets(self, max_results: int | None = None, token: str | None = None) -> tuple[list[str], str | None]:
        """Bucket names, in name order, and a token for the next page."""

    @abstractmethod
    def require_bucket(self, bucket: str) -> None:
        """Raise `ConnectorError("ResourceNotFound")` unless the bucket exists."""

    @abstractmethod
    def list_level(self, bucket: str, prefix: str, max_keys: int | None = None, token: str | None = None) -> Listing:
        """Folders and objects directly under `prefix` ("" or ending in `/`), in key order."""

    @abstractmethod
    def walk(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, recursively, in key order."""

    @abstractmethod
    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        """The object's size, or None when there is no such object."""

    @abstractmethod
    def read_head(self, bucket: str, key: str, length: int) -> bytes:
        """Up to `length` bytes from the start of an object."""

    def read_range(self, bucket: str, key: str, start: int, length: int, extra: int = 0) -> Any:
        """Up to `length` bytes of an object from offset `start`, as a writable buffer (bytes-like,
        `len()`) with `extra` spare bytes at its end (a split's reader fills them without a copy)."""
        with self.open_input_file(bucket, key) as handle:
            data = handle.read_at(length, start)
        buffer = bytearray(len(data) + extra)
        buffer[: len(data)] = memoryview(data)
        return buffer

    @abstractmethod
    def open_input_file(self, bucket: str, key: str) -> Any:
        """A seekable `pyarrow.NativeFile` (for Parquet footers)."""

    @abstractmethod
    def open_input_stream(self, bucket: str, key: str) -> Any:
        """A sequential `pyarrow.NativeFile` (for CSV and JSON lines)."""

    @abstractmethod
    def open_output_stream(self, bucket: str, key: str) -> Any:
        """A writable `pyarrow.NativeFile`; the object appears whole when it is closed."""

    @abstractmethod
    def move(self, bucket: str, source: str, target: str) -> None:
        """Rename an object within a bucket (replacing `target`)."""

    @abstractmethod
    def delete(self, bucket: str, key: str) -> None:
        """Delete one object; a missing one is not an error."""

    def delete_many(self, bucket: str, keys: list[str]) -> None:
        """Delete the given objects; missing ones are not an error."""
        for key in keys:
            self.delete(bucket, key)

    @abstractmethod
    def delete_prefix(self, bucket: str, prefix: str) -> None:
        """Delete every object under `prefix` (which ends in `/`); nothing there is not an error."""

    @abstractmethod
    def errors(self, target: str) -> AbstractContextManager[None]:
        """A context that turns this backend's failures into `ConnectorError`s naming `target`."""


def backend_name() -> str:
    """`local` or `aws`: `SLUICE_S3_BACKEND`, else `aws` when an S3 endpoint URL is set."""
    try:
        chosen = current().s3.backend
    except SettingsError as exc:
        raise ConnectorError("InvalidArgument", str(exc)) from None
    if chosen:
        return chosen
    return "aws" if any(os.environ.get(name) for name in ENDPOINT_ENVS) else "local"


def default_data_dir() -> str:
    """The server's data directory (`SLUICE_DATA_DIR`, else ./.sluice)."""
    return current().data_dir


def open_storage(
    data_dir: str | None = None, aws: AwsIdentity | None = None, buckets: BucketPolicy | None = None
) -> Storage:
    """The storage backend for this process (see the module docstring for the selection).

    `aws` is the identity of the account the storage works for (real S3 only). `buckets` is the
    calling account's `BucketPolicy`; the local backend lets it use only those buckets
    (`sluice.connectors.s3.local`). None: no account is involved, the whole store is used.
    """
    if backend_name() == "aws":
        return AwsStorage(aws=aws)
    from sluice.connectors.s3.local import LocalStorage  # it imports this module

    return LocalStorage(os.path.join(data_dir or default_data_dir(), "s3"), buckets)


def _page(names: list[str], max_results: int | None, token: str | None) -> tuple[list[str], str | None]:
    """Keyset paging over sorted names: the token is the last name returned, encoded."""
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConnectorError("InvalidArgument", "the continuation token is not valid") from exc
        names = [name for name in names if _order(name) > _order(after)]
    if max_results and len(names) > max_results:
        names = names[:max_results]
        return names, base64.urlsafe_b64encode(names[-1].encode()).decode()
    return names, None


def _order(key: str) -> bytes:
    """S3 lists keys in UTF-8 byte order."""
    return key.encode()


# -- real S3 ----------------------------------------------------------------------------------

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


def region() -> str:
    """The region S3 clients use: `AWS_DEFAULT_REGION`, `AWS_REGION`, else us-east-1."""
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"


def endpoint_url() -> str | None:
    """The S3 endpoint override from the environment, if any."""
    return next((os.environ[name] for name in ENDPOINT_ENVS if os.environ.get(name)), None)


def client_error_code(exc: Any) -> str:
    """The S3 error code of a botocore `ClientError`."""
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsStorage(Storage):
    """S3 through boto3 (control) and `pyarrow.fs.S3FileSystem` (object bodies)."""

    kind = "aws"

    def __init__(self, client_factory: Callable[[], Any] | None = None, aws: AwsIdentity | None = None) -> None:
        # Refused here, before any call, for an account without an AWS identity.
        self._session = resolve(aws).session(region())
        self.client = client_factory() if client_factory else self._session.client("s3")
        self._filesystem: Any = None
        self._filesystem_keys: Any = None

    @property
    def filesystem(self) -> Any:
        """The pyarrow S3 filesystem, signed with the identity's current credentials.

        Assumed-role credentials expire and refresh; the filesystem is rebuilt when they change.
        """
        import pyarrow.fs as pafs

        credentials = self._session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
        keys = (frozen.access_key, frozen.secret_key, frozen.token) if frozen is not None else None
        if self._filesystem is None or keys != self._filesystem_keys:
            options: dict[str, Any] = {"region": region()}
            if frozen is not None:
                options.update(access_key=frozen.access_key, secret_key=frozen.secret_key)
                if frozen.token:
                    options["session_token"] = frozen.token
            endpoint = endpoint_url()
            if endpoint:
                parts = urlsplit(endpoint)
                options.update(endpoint_override=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme or "https")
            self._filesystem, self._filesystem_keys = pafs.S3FileSystem(**options), keys
        return self._filesystem

    def list_buckets(self, max_results: int | None = None, token: str | None = None) -> tuple[list[str], str | None]:
        params: dict[str, Any] = {}
        if max_results:
            params["MaxBuckets"] = max_results
        if token:
            params["ContinuationToken"] = token
        with self.errors("the bucket list"):
            response = self.client.list_buckets(**params)
        names = [bucket["Name"] for bucket in response.get("Buckets", [])]
        if max_results:
            names = names[:max_results]
        return names, response.get("ContinuationToken")

    def require_bucket(self, bucket: str) -> None:
        with self.errors(self.location(bucket)):
            self.client.head_bucket(Bucket=bucket)

    def list_level(self, bucket: str, prefix: str, max_keys: int | None = None, token: str | None = None) -> Listing:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
        if max_keys:
            params["MaxKeys"] = max_keys
        if token:
            params["ContinuationToken"] = token
        with self.errors(self.location(bucket, prefix)):
            response = self.client.list_objects_v2(**params)
        return Listing(
            folders=[common["Prefix"] for common in response.get("CommonPrefixes", [])],
            objects=[_aws_info(item) for item in response.get("Contents", [])],
            next_token=response.get("NextContinuationToken"),
        )

    def walk(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        with self.errors(self.location(bucket, prefix)):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield _aws_info(item)

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if client_error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                self.require_bucket(bucket)
                return None
            with self.errors(self.location(bucket, key)):
                raise
        modified = response.get("LastModified")
        return ObjectInfo(key, int(response["ContentLength"]), modified.timestamp() if modified else None)

    def read_head(self, bucket: str, key: str, length: int) -> bytes:
        from botocore.exceptions import ClientError

        with self.errors(self.location(bucket, key)):
            try:
                response = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
            except ClientError as exc:
                if client_error_code(exc) == "InvalidRange":  # S3 answers 416 for a range of an empty object
                    return b""
                raise
            data: bytes = response["Body"].read()
        return data

    def open_input_file(self, bucket: str, key: str) -> Any:
        with self.errors(self.location(bucket, key)):
            return self.filesystem.open_input_file(f"{bucket}/{key}")

    def open_input_stream(self, bucket: str, key: str) -> Any:
        with self.errors(self.location(bucket, key)):
            return self.filesystem.open_input_stream(f"{bucket}/{key}")

    def open_output_stream(self, bucket: str, key: str) -> Any:
        with self.errors(self.location(bucket, key)):
            return self.filesystem.open_output_stream(f"{bucket}/{key}")

    def move(self, bucket: str, source: str, target: str) -> None:
        with self.errors(self.location(bucket, source)):
            # The managed copy switches to multipart copy above 5 GB, where CopyObject stops.
            self.client.copy({"Bucket": bucket, "Key": source}, bucket, target)
            self.client.delete_object(Bucket=bucket, Key=source)

    def delete(self, bucket: str, key: str) -> None:
        with self.errors(self.location(bucket, key)):
            self.client.delete_object(Bucket=bucket, Key=key)

    def delete_many(self, bucket: str, keys: list[str]) -> None:
        with self.errors(self.location(bucket)):
            for start in range(0, len(keys), 1000):
                chunk = [{"Key": key} for key in keys[start : start + 1000]]
                self.client.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        keys = [item.key for item in self.walk(bucket, prefix)]
        with self.errors(self.location(bucket, prefix)):
            for start in range(0, len(keys), 1000):
                chunk = [{"Key": key} for key in keys[start : start + 1000]]
                self.client.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})

    @contextmanager
    def errors(self, target: str) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            HTTPClientError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        endpoint = self.client.meta.endpoint_url
        try:
            yield
        except ConnectorError:
            raise
        except ClientError as exc:
            code = client_error_code(exc)
            detail = exc.response.get("Error", {}).get("Message") or code
            raise _classify(code, detail, target) from exc
        except NoCredentialsError as exc:
            raise ConnectorError("InvalidCredentials", "no AWS credentials are configured for S3") from exc
        except ReadTimeoutError as exc:
            raise ConnectorError("ConnectorTimeout", f"S3 at {endpoint} timed out on {target}") from exc
        except HTTPClientError as exc:
            raise ConnectorError("ServerError", f"could not reach S3 at {endpoint}: {exc}") from exc
        except BotoCoreError as exc:
            raise ConnectorError("ServerError", f"S3 request for {target} failed: {exc}") from exc
        except FileNotFoundError as exc:
            raise ConnectorError("ResourceNotFound", f"{target} does not exist: {exc}") from exc
        except OSError as exc:  # pyarrow's S3 errors carry the AWS error name in the message
            raise _classify_arrow(str(exc), target, endpoint) from exc


def _aws_info(item: Mapping[str, Any]) -> ObjectInfo:
    """A `list_objects_v2` entry as an object (`LastModified` is an aware datetime)."""
    modified = item.get("LastModified")
    return ObjectInfo(item["Key"], int(item["Size"]), modified.timestamp() if modified else None)


def _classify(code: str, detail: str, target: str) -> ConnectorError:
    if code in _NOT_FOUND:
        return ConnectorError("ResourceNotFound", f"{target} does not exist: {detail}")
    if code in _CREDENTIALS:
        return ConnectorError("InvalidCredentials", f"S3 refused access to {target}: {detail}")
    if code in _THROTTLED:
        return ConnectorError("ThrottlingError", f"S3 throttled a request for {target}")
    if code in _INVALID:
        return ConnectorError("InvalidArgument", f"{target}: {detail}")
    return ConnectorError("ServerError", f"S3 failed on {target}: {code} {detail}")


def _classify_arrow(message: str, target: str, endpoint: str) -> ConnectorError:
    upper = message.upper()
    if any(word in upper for word in ("NO_SUCH_BUCKET", "NO_SUCH_KEY", "DOES NOT EXIST", "NOT FOUND", "NOSUCHBUCKET")):
        return ConnectorError("ResourceNotFound", f"{target} does not exist: {message}")
    if any(word in upper for word in ("ACCESS_DENIED", "ACCESSDENIED", "INVALIDACCESSKEYID", "SIGNATURE", "403")):
        return ConnectorError("InvalidCredentials", f"S3 refused access to {target}: {message}")
    if any(word in upper for word in ("SLOW_DOWN", "SLOWDOWN", "THROTTL", "503")):
        return ConnectorError("ThrottlingError", f"S3 throttled a request for {target}")
    return ConnectorError("ServerError", f"S3 at {endpoint} failed on {target}: {message}")
