"""The checked-in generated modules (`service/errors.py`, `service/shapes.py`) match the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_modules_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_api.py"), "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, (
        "the generated API modules are stale; run `python tools/generate_api.py`\n" + done.stdout + done.stderr
    )
