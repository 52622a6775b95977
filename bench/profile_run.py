"""Profile one yardstick run inside the Sluice server with py-spy (bench support).

Starts a server with the job's input (bench/yardstick.py: `csv`, `json` or `parquet`, from
BENCH_JOB), makes one untimed warm-up run as the yardstick does, then attaches `py-spy record`
to the server process (all threads, native frames with PY_SPY_NATIVE=1) for the length of one
run started with StartFlow, and prints the wall time and where py-spy's output went. py-spy is
not a project dependency: point PY_SPY at its binary (e.g. `pip install --target /tmp/pyspy py-spy`).

    PY_SPY=/tmp/pyspy/bin/py-spy BENCH_JOB=json BENCH_ROWS=1000000 python bench/profile_run.py /tmp/profile
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.yardstick import SluiceSide, job_files  # noqa: E402


def main(out: Path) -> None:
    """Record one run's profile into `out`.{txt,svg}."""
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    job = os.environ.get("BENCH_JOB", "csv")
    files = job_files(job, rows, Path(os.environ.get("BENCH_DATA", ROOT / ".bench")))
    spy = os.environ.get("PY_SPY", "py-spy")
    native = ["--native"] if os.environ.get("PY_SPY_NATIVE") else []
    with tempfile.TemporaryDirectory() as name:
        side = SluiceSide(Path(name), job, files)
        try:
            side.run()  # warm-up: imports, page cache
            pid = side.server.proc.pid  # type: ignore[union-attr]
            recorders = [subprocess.Popen([spy, "record", "--pid", str(pid), "--threads", "--rate", "200", *native,
                                           "--format", fmt, "--output", f"{out}.{ext}", "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for fmt, ext in (("raw", "txt"), ("flamegraph", "svg"))]
            time.sleep(1.0)
            result = side.run()
            for recorder in recorders:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(timeout=60)
            print(f"{job}: {rows} rows in {result['seconds']:.2f} s, {result['cpu']:.2f} CPU-s; "
                  f"profile in {out}.txt / {out}.svg")
        finally:
            side.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "profile"))
