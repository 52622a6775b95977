"""Where S3 objects live (connectors layer): one interface, two backends.

`open_storage(data_dir)` returns a `Storage`. The metadata provider, the source and the
destination of the S3 connector talk only to it, so they work the same against both backends:

* `LocalStorage` - the embedded default. Each bucket is a folder `<data_dir>/s3/<bucket>/` and
  each object a file below it (`sales/2024/a.csv` is `<data_dir>/s3/<bucket>/sales/2024/a.csv`).
  A bucket exists when its folder exists; a missing one is `ResourceNotFound`, as in S3.
* `AwsStorage` - real S3 (or MinIO, moto, ...). Object bodies stream through
  `pyarrow.fs.S3FileSystem` (ranged reads, multipart uploads); listing, copying and deleting go
  through boto3, which pages with continuation tokens and never writes the "directory marker"
  objects pyarrow creates when a prefix empties. Both use the standard AWS configuration chain,
  including `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`.

Selection: `SLUICE_S3_BACKEND=local|aws`; unset, `aws` when an S3 endpoint URL is configured,
else `local` (see docs/s3.md). Every failure becomes a `ConnectorError`.
"""

from __future__ import annotations

import base64
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sluice.connectors.base import ConnectorError

BACKEND_ENV = "SLUICE_S3_BACKEND"
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
    chosen = (os.environ.get(BACKEND_ENV) or "").strip().lower()
    if chosen:
        if chosen not in {"local", "aws"}:
            raise ConnectorError("InvalidArgument", f"{BACKEND_ENV} must be 'local' or 'aws', not {chosen!r}")
        return chosen
    return "aws" if any(os.environ.get(name) for name in ENDPOINT_ENVS) else "local"


def default_data_dir() -> str:
    """The server's data directory as the environment names it (`SLUICE_DATA_DIR`, else ./.sluice)."""
    return str(Path(os.environ.get("SLUICE_DATA_DIR") or ".sluice").resolve())


def open_storage(data_dir: str | None = None) -> Storage:
    """The storage backend for this process (see the module docstring for the selection)."""
    if backend_name() == "aws":
        return AwsStorage()
    return LocalStorage(os.path.join(data_dir or default_data_dir(), "s3"))


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


# -- the embedded backend -------------------------------------------------------------------


class LocalStorage(Storage):
    """Buckets as folders under `root` (`<data_dir>/s3`)."""

    kind = "local"

    def __init__(self, root: str) -> None:
        import pyarrow.fs as pafs

        self.root = Path(root)
        self._fs = pafs.LocalFileSystem()

    def bucket_path(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or "\\" in bucket or bucket in {".", ".."}:
            raise ConnectorError("InvalidArgument", f"{bucket!r} is not a valid bucket name")
        return self.root / bucket

    def path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(part in {".", ".."} for part in parts) or "\\" in key:
            raise ConnectorError("InvalidArgument", f"{key!r} is not an object key the local store can hold")
        return self.bucket_path(bucket).joinpath(*[part for part in parts if part])

    def list_buckets(self, max_results: int | None = None, token: str | None = None) -> tuple[list[str], str | None]:
        if not self.root.is_dir():
            return [], None
        names = sorted((entry.name for entry in os.scandir(self.root) if entry.is_dir()), key=_order)
        return _page(names, max_results, token)

    def require_bucket(self, bucket: str) -> None:
        if not self.bucket_path(bucket).is_dir():
            raise ConnectorError(
                "ResourceNotFound", f"{self.location(bucket)} does not exist: the bucket folder "
                f"{self.bucket_path(bucket)} is missing"
            )

    def list_level(self, bucket: str, prefix: str, max_keys: int | None = None, token: str | None = None) -> Listing:
        self.require_bucket(bucket)
        folder = self.path(bucket, prefix) if prefix.strip("/") else self.bucket_path(bucket)
        entries: dict[str, os.stat_result | None] = {}
        if folder.is_dir():
            for entry in os.scandir(folder):
                if entry.is_dir():
                    entries[f"{prefix}{entry.name}/"] = None
                elif entry.is_file():
                    entries[f"{prefix}{entry.name}"] = entry.stat()
        names, next_token = _page(sorted(entries, key=_order), max_keys, token)
        listing = Listing(next_token=next_token)
        for name in names:
            stat = entries[name]
            if stat is None:
                listing.folders.append(name)
            else:
                listing.objects.append(_local_info(name, stat))
        return listing

    def walk(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        self.require_bucket(bucket)
        base = self.bucket_path(bucket)
        # Start from the deepest folder the prefix names, then filter by the full prefix.
        folder_part = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.path(bucket, folder_part) if folder_part else base
        if not start.is_dir():
            return
        found: list[ObjectInfo] = []
        for directory, _subdirs, files in os.walk(start):
            relative = os.path.relpath(directory, base).replace(os.sep, "/")
            relative = "" if relative == "." else f"{relative}/"
            for name in files:
                key = f"{relative}{name}"
                if key.startswith(prefix):
                    found.append(_local_info(key, os.stat(os.path.join(directory, name))))
        yield from sorted(found, key=lambda item: _order(item.key))

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        self.require_bucket(bucket)
        path = self.path(bucket, key)
        return _local_info(key, path.stat()) if path.is_file() else None

    def read_head(self, bucket: str, key: str, length: int) -> bytes:
        self._require_object(bucket, key)
        with open(self.path(bucket, key), "rb") as handle:
            return handle.read(length)

    def open_input_file(self, bucket: str, key: str) -> Any:
        self._require_object(bucket, key)
        return self._fs.open_input_file(str(self.path(bucket, key)))

    def open_input_stream(self, bucket: str, key: str) -> Any:
        self._require_object(bucket, key)
        return self._fs.open_input_stream(str(self.path(bucket, key)))

    def open_output_stream(self, bucket: str, key: str) -> Any:
        self.require_bucket(bucket)
        path = self.path(bucket, key)
        return _in_folder(path, lambda: self._fs.open_output_stream(str(path)))

    def move(self, bucket: str, source: str, target: str) -> None:
        origin, destination = self.path(bucket, source), self.path(bucket, target)
        _in_folder(destination, lambda: os.replace(origin, destination), origin)

    def delete(self, bucket: str, key: str) -> None:
        path = self.path(bucket, key)
        if path.is_file():
            path.unlink()
            self._prune(bucket, path.parent)

    def delete_prefix(self, bucket: str, prefix: str) -> None:
        folder = self.path(bucket, prefix)
        if folder.is_dir():
            shutil.rmtree(folder)
            self._prune(bucket, folder.parent)

    def _prune(self, bucket: str, folder: Path) -> None:
        """Remove folders left empty, as S3 has no folders once their last object is gone."""
        base = self.bucket_path(bucket)
        while folder != base and base in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def _require_object(self, bucket: str, key: str) -> None:
        self.require_bucket(bucket)
        if not self.path(bucket, key).is_file():
            raise ConnectorError("ResourceNotFound", f"{self.location(bucket, key)} does not exist")

    @contextmanager
    def errors(self, target: str) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            raise
        except FileNotFoundError as exc:
            raise ConnectorError("ResourceNotFound", f"{target} does not exist: {exc}") from exc
        except OSError as exc:
            raise ConnectorError("ServerError", f"the local S3 store failed on {target}: {exc}") from exc


_FOLDER_ATTEMPTS = 50


def _in_folder(path: Path, action: Callable[[], Any], needed: Path | None = None) -> Any:
    """Create `path`'s folder and run `action` there, again if the folder vanished meanwhile.

    Folders are pruned when their last file goes (S3 has no folders), so a run that deletes its
    last file under a shared folder (the bucket's `.sluice-staging/`, a flow's output folder)
    can remove it between another run's `mkdir` and its `open`/`rename`. The losing run simply
    creates the folder again; `needed` (a rename's source) must still exist for that to help.
    """
    for attempt in range(_FOLDER_ATTEMPTS):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # itself racy: a parent can vanish midway
            return action()
        except FileNotFoundError:
            if attempt == _FOLDER_ATTEMPTS - 1 or (needed is not None and not needed.exists()):
                raise
    raise AssertionError("unreachable")


def _local_info(key: str, stat: os.stat_result) -> ObjectInfo:
    """A file as an object; its mtime (integer ns, so exact) becomes epoch seconds."""
    return ObjectInfo(key, stat.st_size, stat.st_mtime_ns / 1_000_000_000)


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


def _default_client() -> Any:
    import boto3

    return boto3.client("s3", region_name=region())


def client_error_code(exc: Any) -> str:
    """The S3 error code of a botocore `ClientError`."""
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsStorage(Storage):
    """S3 through boto3 (control) and `pyarrow.fs.S3FileSystem` (object bodies)."""

    kind = "aws"

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self.client = (client_factory or _default_client)()
        self._filesystem: Any = None

    @property
    def filesystem(self) -> Any:
        """The pyarrow S3 filesystem, built on first use with boto3's resolved credentials."""
        if self._filesystem is None:
            import boto3
            import pyarrow.fs as pafs

            options: dict[str, Any] = {"region": region()}
            credentials = boto3.Session().get_credentials()
            if credentials is not None:
                frozen = credentials.get_frozen_credentials()
                options.update(access_key=frozen.access_key, secret_key=frozen.secret_key)
                if frozen.token:
                    options["session_token"] = frozen.token
            endpoint = endpoint_url()
            if endpoint:
                parts = urlsplit(endpoint)
                options.update(endpoint_override=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme or "https")
            self._filesystem = pafs.S3FileSystem(**options)
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
