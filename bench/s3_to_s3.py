"""Data-plane benchmark: the yardstick job end to end through `StartFlow` vs raw pyarrow.

The job (../shared/perf-yardstick.md): 20-column CSV -> keep `amount > 100` -> project 12 columns
with 3 renamed -> `total = price * qty` -> mask `email` -> truncate `description` to 10 characters
-> Parquet (snappy). Sluice runs it as an S3 -> S3 flow on the embedded local-directory backend,
timed from `StartFlow` until the execution record says `Successful`; the peer is raw pyarrow
doing the same transform with its streaming CSV reader, compute kernels and ParquetWriter, in
the same run. Each size gets a fresh server so its peak RSS belongs to that size alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import SluiceServer  # noqa: E402

from bench.common import NO_AGGREGATION, parquet_destination, peak_rss_mib, run_peer, timed_run  # noqa: E402
from bench.dataset import make_dataset  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_ROWS", "1000000,5000000").split(",")]
KEEP = ["id", "customer_id", "order_ts", "amount", "price", "qty", "email", "description", "country", "status",
        "channel", "sku"]
RENAMED = {"customer_id": "customer", "order_ts": "ordered_at", "sku": "product_code"}


def flow_tasks() -> list[dict[str, Any]]:
    """The yardstick job as AppFlow tasks."""
    tasks: list[dict[str, Any]] = [
        {"taskType": "Filter", "sourceFields": KEEP, "connectorOperator": {"S3": "PROJECTION"}},
        {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
         "taskProperties": {"VALUE": "100", "DATA_TYPE": "double"}},
    ]
    for field in KEEP:
        if field in ("email", "description"):
            continue
        tasks.append({"taskType": "Map", "sourceFields": [field], "connectorOperator": {"S3": "NO_OP"},
                      "destinationField": RENAMED.get(field, field)})
    tasks += [
        {"taskType": "Arithmetic", "sourceFields": ["price", "qty"], "connectorOperator": {"S3": "MULTIPLICATION"},
         "destinationField": "total", "taskProperties": {"MATH_OPERATION_FIELDS_ORDER": "price,qty"}},
        {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"},
         "destinationField": "email", "taskProperties": {"MASK_VALUE": "*"}},
        {"taskType": "Truncate", "sourceFields": ["description"], "connectorOperator": {"S3": "NO_OP"},
         "destinationField": "description", "taskProperties": {"TRUNCATE_LENGTH": "10"}},
    ]
    return tasks


def start_server(tmp: Path, files: list[Path], rows: int, env: dict[str, str] | None = None) -> SluiceServer:
    """A fresh server whose embedded S3 backend holds the files under bench-in/orders."""
    data_dir = tmp / f"sluice-{rows}"
    inbox = data_dir / "s3" / "bench-in" / "orders"
    inbox.mkdir(parents=True)
    (data_dir / "s3" / "bench-out").mkdir(parents=True)
    for path in files:
        os.link(path, inbox / path.name)
    return SluiceServer(data_dir=data_dir, workers=1,
                        extra_env={"SLUICE_S3_BACKEND": "local", **(env or {})}).start()


def create_yardstick_flow(client: Any, rows: int, suffix: str = "") -> str:
    """The yardstick flow (S3 CSV -> tasks -> S3 Parquet, one object); its name."""
    name = f"yardstick-{rows}{suffix}"
    client.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {
            "S3": {"bucketName": "bench-in", "bucketPrefix": "orders",
                   "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=parquet_destination("bench-out", "parquet", aggregationConfig=NO_AGGREGATION),
        tasks=flow_tasks(),
    )
    return name


def run_sluice(tmp: Path, files: list[Path], rows: int) -> dict[str, float]:
    """Place the files in the embedded S3 backend, run the flow, time it, read the server's peak RSS."""
    server = start_server(tmp, files, rows)
    try:
        client = server.client()
        seconds, record = timed_run(client, create_yardstick_flow(client, rows))
        rss = peak_rss_mib(server.proc.pid)  # type: ignore[union-attr]
        return {"seconds": seconds, "rss": rss, "records": record["executionResult"]["recordsProcessed"]}
    finally:
        server.stop()


# The raw pyarrow peer (also the yardstick's): prints `records seconds rss_mib cpu_seconds`.
PEER = r'''
import sys, time, resource
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as csv, pyarrow.parquet as pq
keep, renamed, files, out = eval(sys.argv[1]), eval(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
start = time.perf_counter()
writer = None
rows = 0
for path in files:
    reader = csv.open_csv(path, parse_options=csv.ParseOptions(newlines_in_values=True),
                          convert_options=csv.ConvertOptions(include_columns=keep))
    for batch in reader:
        rows += batch.num_rows
        batch = batch.filter(pc.greater(batch["amount"], 100))
        cols = {renamed.get(n, n): batch[n] for n in keep if n not in ("email", "description")}
        cols["total"] = pc.multiply(pc.cast(batch["price"], pa.float64()), pc.cast(batch["qty"], pa.float64()))
        cols["email"] = pc.replace_substring_regex(batch["email"], ".", "*")
        cols["description"] = pc.utf8_slice_codeunits(batch["description"], 0, 10)
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema, compression="snappy")
        writer.write_table(table)
writer.close()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(rows, time.perf_counter() - start, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)
'''


def peer_run(tmp: Path, files: list[Path]) -> dict[str, float]:
    """Raw pyarrow, streaming, in its own process (so its RSS is its own)."""
    return run_peer(PEER, repr(KEEP), repr(RENAMED), ",".join(map(str, files)), str(tmp / "peer.parquet"))


def main() -> str:
    """Run every size; return the Markdown table."""
    cache = Path(os.environ.get("BENCH_DATA", ROOT / ".bench"))
    lines = [
        "| input rows | Sluice rows/s | pyarrow rows/s | Sluice / pyarrow "
        "| Sluice peak RSS MiB | pyarrow peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in SIZES:
        files = make_dataset(cache / "yardstick", rows)
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            peer = peer_run(tmp, files)
            sluice = run_sluice(tmp, files, rows)
        lines.append(
            f"| {rows:,} | {rows / sluice['seconds']:,.0f} | {rows / peer['seconds']:,.0f} | "
            f"{peer['seconds'] / sluice['seconds']:.2f}x | {sluice['rss']:.0f} | {peer['rss']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
