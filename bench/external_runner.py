"""An Airbyte source through Sluice, against the same source under PyAirbyte and its own CLI.

`airbyte-source-faker` (pinned) generates N `users` records (BENCH_EXTERNAL_RECORDS, default
200,000; fixed seed). Three sides take turns (BENCH_EXTERNAL_REPEATS times, medians):

* Sluice - an OnDemand flow `airbyte/source-faker@<version>` -> S3 typed Parquet on the embedded
  store, timed from StartFlow to Successful (it runs discover, then read, and converts to Arrow);
* PyAirbyte - `airbyte` (installed into its OWN venv under the bench cache, never the shared one)
  reading the same stream into its default local DuckDB cache, with the same source version;
* the source's CLI - `source-faker read` with a configured catalog, stdout to /dev/null (the floor:
  generating the records and nothing else).

Records/s for each; peak RSS of the Sluice server and of each peer process tree (the connector
processes are children of the peers, so their RSS counts there; Sluice's connector child is not in
the server's figure). Environments live under `<BENCH_DATA or .bench>/external/`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

VERSION = "7.2.1"
RECORDS = int(os.environ.get("BENCH_EXTERNAL_RECORDS", "200000"))
REPEATS = int(os.environ.get("BENCH_EXTERNAL_REPEATS", "2"))
CONFIG = {"count": RECORDS, "seed": 42, "records_per_slice": 1000, "parallelism": 2}

CLI_PEER = r"""
import json, resource, subprocess, sys, time
python, script, folder = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.loads(sys.argv[4])
with open(f"{folder}/config.json", "w") as handle:
    json.dump(config, handle)
found = subprocess.run([python, script, "discover", "--config", f"{folder}/config.json"],
                       capture_output=True, text=True)
streams = [json.loads(l)["catalog"]["streams"] for l in found.stdout.splitlines() if '"CATALOG"' in l][0]
users = [s for s in streams if s["name"] == "users"][0]
with open(f"{folder}/catalog.json", "w") as handle:
    json.dump({"streams": [{"stream": users, "sync_mode": "full_refresh",
                            "destination_sync_mode": "overwrite"}]}, handle)
started = time.perf_counter()
with open("/dev/null", "wb") as sink:
    subprocess.run([python, script, "read", "--config", f"{folder}/config.json", "--catalog", f"{folder}/catalog.json"],
                   stdout=sink, check=True)
seconds = time.perf_counter() - started
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(config["count"], seconds, rss / 1024)
"""

PYAIRBYTE_PEER = r"""
import json, resource, sys, time
from pathlib import Path
import airbyte as ab
root, version = Path(sys.argv[1]), sys.argv[2]
config = json.loads(sys.argv[3])
source = ab.get_source("source-faker", config=config, streams=["users"], pip_url=f"airbyte-source-faker=={version}",
                       install_root=root)
cache = ab.new_local_cache(cache_name="bench", cache_dir=root / "cache", cleanup=True)
started = time.perf_counter()
result = source.read(cache=cache, force_full_refresh=True)
seconds = time.perf_counter() - started
records = result.processed_records
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(records, seconds, rss / 1024)
"""


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env)
    if out.returncode:
        raise RuntimeError(f"the peer failed: {out.stderr[-3000:]}")
    fields = out.stdout.split()[-3:]
    return {"records": float(fields[0]), "seconds": float(fields[1]), "rss": float(fields[2])}


def pyairbyte_python(cache: Path) -> Path:
    """The PyAirbyte venv's python (created and `pip install airbyte` on first use)."""
    venv = cache / "pyairbyte"
    python = venv / "bin" / "python"
    if not (venv / ".ready").is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "airbyte"], check=True)
        (venv / ".ready").write_text("ok")
    return python


def main() -> tuple[str, dict[str, Any]]:
    """Run the comparison; (the Markdown table, the numbers)."""
    cache = Path(os.environ.get("BENCH_DATA", ROOT / ".bench")) / "external"
    venvs = cache / "venvs"
    work = cache / "work"
    for folder in (venvs, work):
        folder.mkdir(parents=True, exist_ok=True)
    python = pyairbyte_python(cache)
    label = f"airbyte/source-faker@{VERSION}"
    profile = {"connectorProfileName": "bench-faker", "connectorType": "CustomConnector", "connectorLabel": label,
               "connectionMode": "Public", "connectorProfileConfig": {"connectorProfileProperties": {
                   "CustomConnector": {"profileProperties": {k: str(v) for k, v in CONFIG.items()}}}}}
    source = {"connectorType": "CustomConnector", "connectorProfileName": "bench-faker",
              "sourceConnectorProperties": {"CustomConnector": {"entityName": "users"}}}
    data_dir = work / f"sluice-{int(time.time())}"
    side = common.SluiceSide(data_dir, {"SLUICE_EXTERNAL_VENVS_DIR": str(venvs)}, profile, source,
                             "faker-bench", "faker")
    faker = venvs / f"airbyte-source-faker-{VERSION}"
    cli_runs: list[dict[str, float]] = []
    config = json.dumps(CONFIG)

    def peers() -> dict[str, float]:
        cli_runs.append(_run([sys.executable, "-c", CLI_PEER, str(faker / "bin" / "python"),
                              str(faker / "bin" / "source-faker"), str(work), config], work))
        return _run([str(python), "-c", PYAIRBYTE_PEER, str(cache / "pyairbyte-root"), VERSION, config], work,
                    {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                     # No registry lookups or telemetry (the source is named by its pip URL); pip, not uv.
                     "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1", "AIRBYTE_NO_UV": "1"})

    try:
        sluice_runs, pyairbyte_runs, rss = common.take_turns(side, peers, REPEATS)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if any(r["records"] != RECORDS for r in sluice_runs + pyairbyte_runs + cli_runs):
        raise RuntimeError(f"record counts differ from {RECORDS}: {sluice_runs} {pyairbyte_runs} {cli_runs}")
    sluice_s = statistics.median(r["seconds"] for r in sluice_runs)
    pyairbyte_s = statistics.median(r["seconds"] for r in pyairbyte_runs)
    cli_s = statistics.median(r["seconds"] for r in cli_runs)
    table = "\n".join([
        "| Records | Sluice rows/s | PyAirbyte rows/s | Sluice / PyAirbyte | CLI read to /dev/null rows/s | "
        "Sluice / CLI | Sluice server peak RSS MiB | PyAirbyte peak RSS MiB | CLI peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {RECORDS:,} | {RECORDS / sluice_s:,.0f} | {RECORDS / pyairbyte_s:,.0f} | {pyairbyte_s / sluice_s:.2f}x | "
        f"{RECORDS / cli_s:,.0f} | {cli_s / sluice_s:.2f}x | {rss:.0f} | "
        f"{max(r['rss'] for r in pyairbyte_runs):.0f} | {max(r['rss'] for r in cli_runs):.0f} |",
    ])
    numbers = {"records": RECORDS, "source": f"airbyte-source-faker {VERSION}",
               "sluice_rows_per_s": RECORDS / sluice_s, "pyairbyte_rows_per_s": RECORDS / pyairbyte_s,
               "cli_rows_per_s": RECORDS / cli_s, "ratio_pyairbyte": pyairbyte_s / sluice_s,
               "ratio_cli": cli_s / sluice_s, "sluice_peak_rss_mib": rss,
               "pyairbyte_peak_rss_mib": max(r["rss"] for r in pyairbyte_runs),
               "cli_peak_rss_mib": max(r["rss"] for r in cli_runs)}
    return table, numbers


if __name__ == "__main__":
    markdown, result = main()
    print(markdown)
    print(json.dumps(result))
