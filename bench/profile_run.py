"""Profile one yardstick run inside the Sluice server with py-spy (bench support).

Starts a server, creates the yardstick flow (bench/s3_to_s3.py), attaches `py-spy record` to the
server process (all threads, native frames) for the length of one run started with StartFlow,
and prints the wall time and where py-spy's output went. py-spy is not a project dependency:
point PY_SPY at its binary (e.g. `pip install --target /tmp/pyspy py-spy`).

    PY_SPY=/tmp/pyspy/bin/py-spy BENCH_ROWS=1000000 python bench/profile_run.py /tmp/profile
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

from bench.common import timed_run  # noqa: E402
from bench.dataset import make_dataset  # noqa: E402
from bench.s3_to_s3 import create_yardstick_flow, start_server  # noqa: E402


def main(out: Path) -> None:
    """Record one run's profile into `out`.{txt,svg}."""
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    files = make_dataset(Path(os.environ.get("BENCH_DATA", ROOT / ".bench")) / "yardstick", rows)
    spy = os.environ.get("PY_SPY", "py-spy")
    with tempfile.TemporaryDirectory() as name:
        server = start_server(Path(name), files, rows)
        try:
            client = server.client()
            flow = create_yardstick_flow(client, rows)
            pid = server.proc.pid  # type: ignore[union-attr]
            recorders = [subprocess.Popen([spy, "record", "--pid", str(pid), "--threads", "--rate", "200",
                                           "--format", fmt, "--output", f"{out}.{ext}", "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for fmt, ext in (("raw", "txt"), ("flamegraph", "svg"))]
            time.sleep(1.0)
            seconds, _ = timed_run(client, flow)
            for recorder in recorders:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(timeout=60)
            print(f"{rows} rows in {seconds:.2f} s; profile in {out}.txt / {out}.svg")
        finally:
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "profile"))
