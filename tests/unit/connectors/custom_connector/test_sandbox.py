"""`sandbox.py`: who a local worker runs as, and what environment it gets."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from sluice.connectors.custom_connector import sandbox


def test_base_environment_keeps_host_basics_and_named_variables_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_MASTER_KEY", "secret")
    monkeypatch.setenv("SLUICE_DATABASE_URL", "postgresql://u:p@h/db")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "server-key")
    monkeypatch.setenv("ACME_URL", "https://acme.example")
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.delenv(sandbox.PASS_VARIABLE, raising=False)
    env = sandbox.base_environment()
    assert env["PATH"] == "/usr/bin"
    assert not {"SLUICE_MASTER_KEY", "SLUICE_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "ACME_URL"} & set(env)
    monkeypatch.setenv(sandbox.PASS_VARIABLE, "ACME_URL, MISSING")
    assert sandbox.base_environment()["ACME_URL"] == "https://acme.example"
    assert "MISSING" not in sandbox.base_environment()


def test_worker_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.USER_VARIABLE, "none")
    assert sandbox.worker_identity() is None
    monkeypatch.setenv(sandbox.USER_VARIABLE, "no-such-user-here")
    assert sandbox.worker_identity() is None
    monkeypatch.delenv(sandbox.USER_VARIABLE)
    identity = sandbox.worker_identity()
    if os.geteuid() == 0:
        assert identity is not None and identity.uid != 0
    else:
        assert identity is None  # only root can start a process as another user


def test_readable_by_follows_mode_bits() -> None:
    other = sandbox.Identity("other", uid=os.geteuid() + 12345, gid=os.getegid() + 12345)
    # Under the system temp dir (world-searchable), not pytest's private tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="sluice-sandbox-test-"))
    try:
        handler = folder / "handler.py"
        handler.write_text("")
        folder.chmod(0o755)
        handler.chmod(0o644)
        assert sandbox.readable_by(handler, other)
        handler.chmod(0o600)
        assert not sandbox.readable_by(handler, other)
        handler.chmod(0o644)
        folder.chmod(0o700)
        assert not sandbox.readable_by(handler, other)
        assert not sandbox.readable_by(folder / "missing.py", other)
    finally:
        shutil.rmtree(folder)


def test_scratch_dir_is_private_and_removed() -> None:
    with sandbox.scratch_dir(None) as folder:
        assert os.listdir(folder) == [] and os.stat(folder).st_mode & 0o777 == 0o700
        Path(folder, "left-behind").write_text("x")
    assert not os.path.exists(folder)
