"""Shared S3 test backends: the embedded local store (a tmp dir) and moto's S3 in server mode.

`backend` is parametrized over both, so every S3 data-path test runs against each; it hands back an
`S3Env` with a fresh bucket and helpers to put, get and list objects behind the code under test.
"""

from __future__ import annotations

import calendar
import itertools
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sluice.connectors.base import RunContext

_names = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class S3Env:
    """One backend with one empty bucket."""

    kind: str
    data_dir: str
    bucket: str
    client: Any = None

    def put(self, key: str, body: bytes) -> None:
        if self.client is not None:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body)
            return
        path = Path(self.data_dir, "s3", self.bucket, *key.split("/"))
        if key.endswith("/"):  # a "folder marker" is a plain folder on disk
            path.mkdir(parents=True, exist_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def get(self, key: str) -> bytes:
        if self.client is not None:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return data
        return Path(self.data_dir, "s3", self.bucket, *key.split("/")).read_bytes()

    def listed(self) -> list[str]:
        """Every object key in the bucket (local: every file), sorted."""
        if self.client is not None:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
        root = Path(self.data_dir, "s3", self.bucket)
        return sorted(str(path.relative_to(root)).replace("\\", "/") for path in root.rglob("*") if path.is_file())

    def local_dirs(self) -> list[str]:
        """Local backend: folders left in the bucket (S3 has none once objects are gone)."""
        root = Path(self.data_dir, "s3", self.bucket)
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_dir())

    def context(self, **overrides: Any) -> RunContext:
        values: dict[str, Any] = {
            "flow_name": "orders-flow",
            "execution_id": "3f2c9a1e-1111-4222-8333-944455556666",
            "schema_version": 3,
            "started_at": float(calendar.timegm((2024, 3, 15, 10, 30, 45, 0, 0, 0))),
            "data_dir": self.data_dir,
        }
        values.update(overrides)
        return RunContext(**values)


@pytest.fixture(params=["local", "aws"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Env]:
    bucket = f"sluice-test-{next(_names)}"
    monkeypatch.setenv("SLUICE_DATA_DIR", str(tmp_path))
    if request.param == "local":
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "SLUICE_S3_BACKEND"):
            monkeypatch.delenv(name, raising=False)
        Path(tmp_path, "s3", bucket).mkdir(parents=True)
        yield S3Env("local", str(tmp_path), bucket)
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    monkeypatch.delenv("SLUICE_S3_BACKEND", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield S3Env("aws", str(tmp_path), bucket, client)
