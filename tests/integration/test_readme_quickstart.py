"""The README's quick start, followed literally: its code blocks run in order against a real server.

The section from "## Quick start" to the next "## " heading is read as a new user reads it. The
first shell block (`make serve`, `make test`) is what the test itself plays: it starts `sluice
serve` on a fresh data dir and a free port. Every later `sh` block runs as written, and every
`python` block through the venv's Python, all in one bash script (so `eval`'d exports carry over)
in a scratch directory that looks like a fresh clone after `make serve`: `.sluice` is the
server's data dir, `examples` and `.venv` link to the repository's. The one substitution:
`127.0.0.1:8080` becomes the test server's address. Blocks without a language (sample output)
are not run. If the README and examples/quickstart drift apart, this fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.support.server import SluiceServer

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def quick_start() -> str:
    """The README's quick-start section, subsections included."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Quick start", 1)[1].split("\n## ", 1)[0]


def script(section: str, port: int) -> str:
    """One bash script of the section's runnable blocks, in order, after the `make serve` block."""
    blocks = [(lang, body) for lang, body in FENCE.findall(section) if lang in ("sh", "python")]
    assert blocks and "make serve" in blocks[0][1], "the quick start opens with `make serve`"
    parts = ["set -euo pipefail"]
    for lang, body in blocks[1:]:
        body = body.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        if lang == "python":
            parts.append(f".venv/bin/python - <<'PYTHON'\n{body}PYTHON")
        else:
            parts.append(body)
    return "\n".join(parts) + "\n"


def user_env(work: Path) -> dict[str, str]:
    """A shell like the user's: no AWS or Sluice settings of this process, the venv's tools on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLUICE_"))}
    env.update(HOME=str(work), AWS_CONFIG_FILE=str(work / "no-aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(work / "no-aws-credentials"),
               PATH=f"{work / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    work = tmp_path / "clone"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples")
    (work / ".venv").symlink_to(Path(sys.prefix))  # the venv running this test: `make serve`'s
    server = SluiceServer(work / ".sluice", fixed_keys=False).start()
    try:
        section = quick_start()
        run = subprocess.run(["bash", "-c", script(section, server.port)], cwd=work, env=user_env(work),
                             capture_output=True, text=True, timeout=240, check=False)
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{server.log()[-3000:]}"
        # boto3's flow, then the CLI's run: Successful with every source record processed.
        assert "Active" in run.stdout
        assert re.search(r"Successful\s+10\b", run.stdout), run.stdout
        # What the README says the run writes is what is in the lake.
        claimed = re.search(r"reads (\d+) records and writes the (\d+) with `amount > 100` \(([\d, ]+)\)", section)
        assert claimed, "the README states what the quick-start run writes"
        files = sorted((work / ".sluice" / "s3" / "lake").rglob("*.parquet"))
        assert files and all("quickstart-orders" in str(f) for f in files)
        rows = [row for f in files for row in pq.read_table(f).to_pylist()]
        assert len(rows) == int(claimed.group(2))
        assert sorted(r["order_id"] for r in rows) == [int(i) for i in claimed.group(3).split(", ")]
        assert all(r["amount"] > 100 for r in rows)
        masked = re.search(r"\(`(\S+@example\.com)` becomes `(\S+)`\)", section)
        assert masked, "the README shows one masked e-mail"
        assert masked.group(2) in [r["customer"] for r in rows]
        assert all(r["customer"].startswith("***") and r["customer"].endswith("example.com") for r in rows)
    finally:
        server.stop()
