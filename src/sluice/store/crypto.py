"""Secrets at rest: AES-256-GCM with a master key (store layer).

The master key comes from `SLUICE_MASTER_KEY` (base64 of 32 bytes) or is generated once into
`<data dir>/master.key` with mode 0600. Each ciphertext is bound to what it protects through
the associated data (e.g. the profile ARN), so a ciphertext copied to another row won't open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class SecretBox:
    """Encrypts and decrypts small secrets with one AES-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(key)
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (e.g. signing console sessions), derived from the master key.

        HMAC-SHA256 of the purpose under the master key: every server process sharing the master
        key derives the same key, the master key itself never leaves the box, and rotating it
        invalidates whatever the derived key signed.
        """
        return hmac.new(self._key, f"sluice-derived-key:{purpose}".encode(), hashlib.sha256).digest()

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """Encrypt `plaintext`, bound to `context`."""
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        """Decrypt what `seal` produced for the same `context`."""
        return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], context.encode())

    def seal_json(self, value: Any, context: str) -> bytes:
        """Encrypt a JSON-serialisable value."""
        return self.seal(json.dumps(value, separators=(",", ":")).encode(), context)

    def open_json(self, sealed: bytes, context: str) -> Any:
        """Decrypt a value sealed by `seal_json`."""
        return json.loads(self.open(sealed, context))


def load_master_key(data_dir: Path, env_value: str | None) -> bytes:
    """The master key from the environment, else from (or newly into) the data dir."""
    if env_value:
        return base64.b64decode(env_value)
    path = data_dir / "master.key"
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    key = AESGCM.generate_key(bit_length=256)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".master.key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode())
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # link() fails if another process won the race; then both use the winner's key.
        os.link(tmp, path)
    except FileExistsError:
        key = base64.b64decode(path.read_text().strip())
    finally:
        tmp.unlink()
    return key
