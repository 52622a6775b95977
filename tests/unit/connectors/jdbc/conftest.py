"""The JDBC unit tests write error buckets into a temp data dir: pin the embedded S3 store."""

import pytest


@pytest.fixture(autouse=True)
def local_s3_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever S3 endpoint another test in this process left in the environment, use the folders."""
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
