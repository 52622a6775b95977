"""sluice.store.crypto: AES-GCM secrets bound to their context, and the master key's life cycle."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from sluice.store.crypto import SecretBox, load_master_key


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(os.urandom(32))


def test_round_trip(box: SecretBox) -> None:
    sealed = box.seal(b"s3cret", "arn:aws:appflow:us-east-1:123456789012:connectorprofile/p")
    assert b"s3cret" not in sealed
    assert box.open(sealed, "arn:aws:appflow:us-east-1:123456789012:connectorprofile/p") == b"s3cret"


def test_json_round_trip(box: SecretBox) -> None:
    value = {"accessToken": "t", "nested": {"n": [1, 2.5, None, True]}, "unicode": "h\u00e9llo \U0001f600"}
    assert box.open_json(box.seal_json(value, "ctx"), "ctx") == value


def test_each_seal_uses_a_fresh_nonce(box: SecretBox) -> None:
    assert box.seal(b"same", "ctx") != box.seal(b"same", "ctx")


def test_wrong_context_fails(box: SecretBox) -> None:
    sealed = box.seal(b"s3cret", "account:111111111111")
    with pytest.raises(InvalidTag):
        box.open(sealed, "account:222222222222")


@pytest.mark.parametrize("where", [0, 12, -1])  # nonce, ciphertext, tag
def test_tampered_ciphertext_fails(box: SecretBox, where: int) -> None:
    sealed = bytearray(box.seal(b"s3cret", "ctx"))
    sealed[where] ^= 0x01
    with pytest.raises(InvalidTag):
        box.open(bytes(sealed), "ctx")


def test_another_key_fails(box: SecretBox) -> None:
    sealed = box.seal(b"s3cret", "ctx")
    with pytest.raises(InvalidTag):
        SecretBox(os.urandom(32)).open(sealed, "ctx")


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SecretBox(os.urandom(size))


def test_master_key_generated_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # does not exist yet
    key = load_master_key(data_dir, None)
    path = data_dir / "master.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text().strip()) == key
    assert [p.name for p in data_dir.iterdir()] == ["master.key"]  # no temp file left behind
    written = path.read_bytes()
    assert load_master_key(data_dir, None) == key
    assert path.read_bytes() == written
    # A box opened later with the reloaded key opens what the first one sealed.
    sealed = SecretBox(key).seal(b"x", "ctx")
    assert SecretBox(load_master_key(data_dir, None)).open(sealed, "ctx") == b"x"


def test_env_key_is_used_when_set(tmp_path: Path) -> None:
    key = os.urandom(32)
    assert load_master_key(tmp_path, base64.b64encode(key).decode()) == key
    assert not (tmp_path / "master.key").exists()


def test_env_key_wins_over_the_file(tmp_path: Path) -> None:
    from_file = load_master_key(tmp_path, None)
    from_env = os.urandom(32)
    assert from_env != from_file
    assert load_master_key(tmp_path, base64.b64encode(from_env).decode()) == from_env


def test_derived_keys_depend_on_the_master_key_and_the_purpose() -> None:
    key = os.urandom(32)
    box = SecretBox(key)
    derived = box.derive("console-session")
    assert len(derived) == 32 and derived != key
    assert SecretBox(key).derive("console-session") == derived  # every process sharing the key agrees
    assert box.derive("something-else") != derived
    assert SecretBox(os.urandom(32)).derive("console-session") != derived
