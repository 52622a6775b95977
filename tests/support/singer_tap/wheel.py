"""Build the `tap-sluice-desk` wheel at test time (zipfile only: no build backend needed).

A wheel is a zip holding the module and a `.dist-info` folder (METADATA, WHEEL, entry_points.txt,
RECORD with each file's sha256), as https://packaging.python.org/en/latest/specifications/binary-distribution-format/
describes; pip installs it from a `--find-links` folder like any other.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

NAME = "tap-sluice-desk"
MODULE = "tap_sluice_desk"


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(folder: Path, version: str = "0.1.0") -> Path:
    """Write `tap_sluice_desk-<version>-py3-none-any.whl` into `folder`; its path."""
    info = f"{MODULE}-{version}.dist-info"
    files = {
        f"{MODULE}.py": (Path(__file__).parent / f"{MODULE}.py").read_bytes(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n"
                            "Summary: A Singer tap for the Sluice tests\nRequires-Python: >=3.10\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: sluice-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\n{NAME} = {MODULE}:main\n".encode(),
    }
    record = "".join(f"{name},{_digest(data)},{len(data)}\n" for name, data in files.items()) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{MODULE}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return target
