"""The yardstick against DuckDB and raw pyarrow, in the same run (bench; ../shared/perf-yardstick.md).

Three jobs, each at every size in BENCH_ROWS (default 1M and 5M rows of the yardstick dataset):

* `csv`: S3 CSV -> keep `amount > 100` -> 12 columns, 3 renamed -> `total = price * qty` -> mask
  `email` -> truncate `description` to 10 -> S3 Parquet (snappy). Peers: DuckDB (`COPY (SELECT ...)
  TO ... (FORMAT parquet)`) and raw pyarrow (streaming CSV reader -> compute -> ParquetWriter).
* `json`: the same rows as JSON lines -> the same tasks -> Parquet. Peer: DuckDB `read_json`.
* `parquet`: the same rows as Parquet -> the same tasks -> CSV. Peer: DuckDB `read_parquet`.

Sluice runs each job as an S3 -> S3 flow on the embedded local-directory backend, timed from
`StartFlow` until the execution record says `Successful`, on a fresh server per job and size (so
its peak RSS belongs to that size). CPU-seconds are the server's (all threads, and children) from
StartFlow to the end, read from /proc, including answering the polls; a peer's are its whole
process's (`getrusage`), start-up included. DuckDB runs with 2 threads (BENCH_DUCKDB_THREADS).
After BENCH_WARMUPS untimed Sluice runs (default 1), the sides take turns BENCH_REPEATS times
(default 3); each figure is the median.

    BENCH_ROWS=1000000,5000000 BENCH_JOBS=csv,json,parquet python bench/yardstick.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from tests.support.server import SluiceServer  # noqa: E402

from bench.common import NO_AGGREGATION, peak_rss_mib, timed_run  # noqa: E402
from bench.dataset import make_dataset  # noqa: E402
from bench.s3_to_s3 import KEEP, PEER, RENAMED, flow_tasks  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_ROWS", "1000000,5000000").split(",")]
JOBS = os.environ.get("BENCH_JOBS", "csv,json,parquet").split(",")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
WARMUPS = int(os.environ.get("BENCH_WARMUPS", "1"))  # untimed turns first (imports, page cache)
DUCKDB_THREADS = int(os.environ.get("BENCH_DUCKDB_THREADS", "2"))
TICKS = os.sysconf("SC_CLK_TCK")
# What each job reads and writes: (input extension, Sluice s3InputFileType, output fileType).
FORMATS = {"csv": ("csv", "CSV", "PARQUET"), "json": ("json", "JSON", "PARQUET"), "parquet": ("parquet", "CSV", "CSV")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU-seconds of a process, its threads and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def job_files(job: str, rows: int, cache: Path) -> list[Path]:
    """The job's input files (CSV made by bench/dataset.py; JSON lines and Parquet converted from it once)."""
    csv_files = make_dataset(cache / "yardstick", rows)
    if job == "csv":
        return csv_files
    folder = cache / f"yardstick-{job}"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in csv_files:
        target = folder / f"{path.stem}.{FORMATS[job][0]}"
        if not target.exists():
            table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=True))
            partial = target.with_suffix(".tmp")
            if job == "parquet":
                pq.write_table(table, partial, compression="snappy", row_group_size=64 * 1024)
            else:
                with partial.open("w", encoding="utf-8") as handle:
                    for row in table.to_pylist():
                        handle.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
            partial.rename(target)
        out.append(target)
    return out


class SluiceSide:
    """A fresh server for one job and size; `run()` times one StartFlow to Successful."""

    def __init__(self, tmp: Path, job: str, files: list[Path]) -> None:
        data_dir = tmp / "sluice"
        inbox = data_dir / "s3" / "bench-in" / "orders"
        inbox.mkdir(parents=True)
        (data_dir / "s3" / "bench-out").mkdir(parents=True)
        for path in files:
            os.link(path, inbox / path.name)
        self.job, self.runs = job, 0
        self.server = SluiceServer(data_dir=data_dir, workers=1, extra_env={"SLUICE_S3_BACKEND": "local"}).start()
        self.client = self.server.client()

    def run(self) -> dict[str, float]:
        self.runs += 1
        name = f"yardstick-{self.job}-{self.runs}"
        _, input_type, output_type = FORMATS[self.job]
        self.client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"},
            sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
                "bucketName": "bench-in", "bucketPrefix": "orders",
                "s3InputFormatConfig": {"s3InputFileType": input_type}}}},
            destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                "bucketName": "bench-out", "bucketPrefix": name,
                "s3OutputFormatConfig": {"fileType": output_type, "preserveSourceDataTyping": True,
                                         "aggregationConfig": NO_AGGREGATION}}}}],
            tasks=flow_tasks(),
        )
        pid = self.server.proc.pid  # type: ignore[union-attr]
        before = cpu_seconds(pid)
        seconds, record = timed_run(self.client, name)
        result = {"seconds": seconds, "cpu": cpu_seconds(pid) - before,
                  "records": record["executionResult"]["recordsProcessed"]}
        if output_type == "PARQUET":  # rows out, to compare with DuckDB's count
            written = (self.server.data_dir / "s3" / "bench-out" / name).rglob("*.parquet")
            result["written"] = sum(pq.ParquetFile(path).metadata.num_rows for path in written)
        return result

    def peak_rss(self) -> float:
        return peak_rss_mib(self.server.proc.pid)  # type: ignore[union-attr]

    def stop(self) -> None:
        self.server.stop()


def duckdb_sql(job: str, files: list[Path], out: Path) -> str:
    """The job as one DuckDB COPY with Sluice's semantics: the source's own types (CSV: text, blanks
    null), `amount` compared as a number, `total` a double, every other column as read."""
    listed = "[" + ",".join(f"'{path}'" for path in files) + "]"
    source = {"csv": f"read_csv({listed}, header=true, all_varchar=true)",
              "json": f"read_json({listed}, format='newline_delimited')",
              "parquet": f"read_parquet({listed})"}[job]
    columns = ["id", "customer_id AS customer", "order_ts AS ordered_at", "amount", "price", "qty", "country",
               "status", "channel", "sku AS product_code", "CAST(price AS DOUBLE) * CAST(qty AS DOUBLE) AS total",
               "repeat('*', length(CAST(email AS VARCHAR))) AS email",
               "left(CAST(description AS VARCHAR), 10) AS description"]
    fmt = "(FORMAT csv, HEADER)" if job == "parquet" else "(FORMAT parquet, COMPRESSION snappy)"
    return (f"COPY (SELECT {', '.join(columns)} FROM {source} WHERE CAST(amount AS DOUBLE) > 100) "
            f"TO '{out}' {fmt}")


DUCKDB = r'''
import sys, time, resource, duckdb
con = duckdb.connect()
con.execute(f"SET threads={int(sys.argv[2])}")
con.execute("SET enable_progress_bar=false")
start = time.perf_counter()
rows = con.execute(sys.argv[1]).fetchone()[0]
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(rows, seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)
'''



def peer(script: str, *args: str) -> dict[str, float]:
    """Run a peer in its own process; it prints `records seconds rss_mib cpu_seconds`."""
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"the peer failed: {out.stderr[-3000:]}")
    records, seconds, rss, cpu = (float(x) for x in out.stdout.strip().splitlines()[-1].split()[:4])
    return {"records": records, "seconds": seconds, "rss": rss, "cpu": cpu}


def measure(job: str, rows: int, cache: Path) -> dict[str, Any]:
    """Medians of REPEATS turns of Sluice, DuckDB (and pyarrow for the CSV job) on one job and size."""
    files = job_files(job, rows, cache)
    results: dict[str, list[dict[str, float]]] = {"sluice": [], "duckdb": [], "pyarrow": []}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        side = SluiceSide(tmp, job, files)
        try:
            for turn in range(-WARMUPS, REPEATS):
                sluice = side.run()
                if turn < 0:
                    continue
                results["sluice"].append(sluice)
                out = tmp / f"duck-{turn}.{'csv' if job == 'parquet' else 'parquet'}"
                results["duckdb"].append(peer(DUCKDB, duckdb_sql(job, files, out), str(DUCKDB_THREADS)))
                if job == "csv":
                    results["pyarrow"].append(peer(PEER, repr(KEEP), repr(RENAMED), ",".join(map(str, files)),
                                                   str(tmp / "pyarrow.parquet")))
            rss = side.peak_rss()
        finally:
            side.stop()
    summary: dict[str, Any] = {"job": job, "rows": rows, "sluice_rss": rss, "raw": results}
    for who, runs in results.items():
        if runs:
            summary[who] = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu")}
            summary[who]["rss"] = max(r.get("rss", 0.0) for r in runs)
    if any(r["records"] != rows for r in results["sluice"]):
        raise RuntimeError(f"Sluice moved {results['sluice']} records, not {rows}")
    if any(r.get("written", d["records"]) != d["records"] for r, d in zip(results["sluice"], results["duckdb"],
                                                                         strict=True)):
        raise RuntimeError(f"Sluice and DuckDB wrote different row counts: {results}")
    return summary


def row(s: dict[str, Any]) -> str:
    """One Markdown row: Sluice against DuckDB (ratios > 1 mean Sluice is ahead)."""
    sl, dk = s["sluice"], s["duckdb"]
    wall = dk["seconds"] / sl["seconds"]
    per_cpu = (s["rows"] / sl["cpu"]) / (s["rows"] / dk["cpu"])
    pa_wall = f"{s['pyarrow']['seconds'] / sl['seconds']:.2f}x" if "pyarrow" in s else "-"
    return (f"| {s['job']} | {s['rows']:,} | {sl['seconds']:.2f} | {dk['seconds']:.2f} | {wall:.2f}x | "
            f"{s['rows'] / sl['cpu']:,.0f} | {s['rows'] / dk['cpu']:,.0f} | {per_cpu:.2f}x | {pa_wall} | "
            f"{s['sluice_rss']:.0f} | {dk['rss']:.0f} |")


def main() -> str:
    """Every job at every size; the Markdown table."""
    cache = Path(os.environ.get("BENCH_DATA", ROOT / ".bench"))
    lines = [
        "| job | input rows | Sluice s | DuckDB s | Sluice / DuckDB wall | Sluice rows per CPU-s "
        "| DuckDB rows per CPU-s | Sluice / DuckDB per CPU-s | Sluice / pyarrow wall | Sluice peak RSS MiB "
        "| DuckDB peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    started = time.time()
    for job in JOBS:
        for rows in SIZES:
            summary = measure(job, rows, cache)
            lines.append(row(summary))
            if os.environ.get("BENCH_VERBOSE"):
                print(json.dumps(summary), file=sys.stderr)
    lines.append(f"\n({REPEATS} turns each, medians; {time.time() - started:.0f} s in all)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
