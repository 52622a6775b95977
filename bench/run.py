"""`make bench`: run every benchmark and write the results into BENCHMARKS.md.

Each benchmark module exposes `main() -> str` returning a Markdown table; this script stamps
the machine, the date and the command, and replaces that benchmark's section in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    control_plane,
    custom_connector,
    external_runner,
    jdbc,
    ray_executor,
    redshift,
    s3_to_s3,
    salesforce,
    sapodata,
    scheduler,
    snowflake_destination,
    vendor_splits,
    yardstick,
    zendesk,
)

SECTIONS = {
    "control-plane": (
        "Control plane: signed DescribeFlow / ListFlows with 1,000 flows (SQLite)",
        control_plane.main,
        "Load from `wrk -t1 -c{c} -d{d}s --latency` replaying pre-signed requests (100 different flows for "
        "DescribeFlow) on the same machine. Target from issue #3: >= 1,000 req/s with p99 < 25 ms on 2 cores.",
    ),
    "s3-to-s3": (
        "Data plane: the yardstick job, S3 -> S3 CSV to Parquet through StartFlow",
        s3_to_s3.main,
        "20-column CSV (250k-row files, quoted strings with commas, quotes and newlines, ~1 % empty cells) -> "
        "Filter `amount > 100` + projection of 12 columns (3 renamed) + Arithmetic `total = price * qty` + "
        "Mask `email` + Truncate `description` to 10 -> Parquet (snappy), on the embedded local S3 backend, "
        "timed from StartFlow until the record says Successful. Peer: raw pyarrow in the same run "
        "(`csv.open_csv` streaming -> compute -> `ParquetWriter`, type inference on, one process). "
        "Targets from issue #4: >= 0.7x raw pyarrow; server peak RSS < 600 MiB at 5M rows and flat.",
    ),
    "yardstick": (
        "The yardstick against DuckDB and raw pyarrow, in the same run (CSV, JSON lines and Parquet inputs)",
        yardstick.main,
        "../shared/perf-yardstick.md's job through StartFlow on the embedded local store (S3 CSV -> Filter `amount > "
        "100` -> 12 columns, 3 renamed -> Arithmetic `total = price * qty` -> Mask `email` -> Truncate `description` "
        "to 10 -> Parquet), and the same rows and tasks from JSON lines to Parquet and from Parquet to CSV. Peers in "
        "the same run: DuckDB 2 threads (`COPY (SELECT ...) TO ...` with the same semantics) and raw pyarrow. A fresh "
        "server per job and size, one warm-up, then the sides take turns 3 times (medians). CPU-seconds: the whole "
        "server process for Sluice, the whole process for a peer. Targets from issue #17: >= 1.0x DuckDB's wall "
        "time and rows per CPU-second on 2 cores; server peak RSS <= 400 MiB, growing <= 1.15x from 1M to 5M.",
    ),
    "ray": (
        "One run on a Ray cluster: the 5M-row yardstick on the local executor and on local Ray clusters",
        ray_executor.main,
        "The CSV yardstick (5M rows) through StartFlow, three servers over the same files in interleaved rounds: "
        "`SLUICE_EXECUTOR=local`, and `SLUICE_EXECUTOR=ray` against a local Ray cluster of one node process and of "
        "two (the same CPUs split over a head and a node). CPU-seconds count every process of the cluster. On one "
        "2-core machine Ray can only add overhead; the figures say how much.",
    ),
    "vendor-splits": (
        "ServiceNow incidents -> S3 Parquet: one stream against parallel offset ranges (fake instance)",
        vendor_splits.main,
        "The fake instance (tests/fakes/servicenow, in the bench process, each Table API answer delayed as a remote "
        "instance's would be) serves 50,000 incidents, 1,000 a page. Two servers take turns: SLUICE_PARALLELISM=1 "
        "(Link-header pages, one call in flight) and 4 (an X-Total-Count probe, then page-aligned offset ranges "
        "read in parallel). OnDemand Map_all flows timed from StartFlow to Successful, medians. The fake renders "
        "pages on one event loop in the bench process, which bounds the split side on 2 cores.",
    ),
    "sapodata": (
        "SAP OData entity set -> S3 Parquet (fake SAP Gateway service), maxParallelism 1 and 4, against pyodata",
        sapodata.main,
        "The fake OData V2 service (tests/fakes/sapodata, its own process over https) serves N sales orders "
        "generated on demand. Sluice: an OnDemand flow, Map_all, paginationConfig.maxPageSize 3000, "
        "parallelismConfig.maxParallelism 1 and 4, into the embedded S3 store, timed from StartFlow to Successful. "
        "Peer in the same run: pyodata (SAP's own Python OData client) paging the same entity set with the same page "
        "size, pyarrow -> one Parquet file. Sides take turns, medians. Targets from issue #19: >= 1.0x the peer's "
        "records/s at parallelism 1; server RSS < 400 MiB and flat.",
    ),
    "external": (
        "Airbyte source (airbyte-source-faker) -> S3 Parquet, against PyAirbyte and the source's own CLI",
        lambda: external_runner.main()[0],
        "`airbyte-source-faker` (pinned) generates N `users` records with a fixed seed. Sluice: an OnDemand flow "
        "from an `airbyte/source-faker@<version>` profile (installed into its own venv on first use, run as a "
        "subprocess behind the egress proxy), typed Parquet into the embedded S3 store, timed from StartFlow to "
        "Successful. Peers in the same run: PyAirbyte (the `airbyte` package in its own venv, same source version, "
        "reading into its default DuckDB cache) and the source's own `read` to /dev/null (the floor: generating the "
        "records). Sides take turns, medians. Target from issue #20: records/s against PyAirbyte.",
    ),
    "jdbc": (
        "JDBC (PostgreSQL) table -> S3 Parquet, against psycopg + pyarrow",
        lambda: jdbc.main()[0],
        "A 1M-row table (bigint key, text, varchar, numeric(12,2), integer, timestamptz, boolean, nullable text) in "
        "a private PostgreSQL cluster. Sluice: an OnDemand flow from a `JDBCsmall` (AWS-managed label) profile, "
        "Map_all, typed Parquet, one object, timed from StartFlow to Successful. Peers in the same run, each its own "
        "process: a psycopg server-side cursor into a ParquetWriter (the usual script), and psycopg `COPY ... TO "
        "STDOUT` streamed into pyarrow's CSV reader (the floor). DuckDB's postgres scanner cannot be installed here "
        "(its extension is a download). Sides take turns, medians. Targets from issue #20: >= 1.0x the peer; server "
        "RSS < 400 MiB.",
    ),
    "salesforce": (
        "Salesforce -> S3 Parquet through Bulk API 2.0 (fake org)",
        salesforce.main,
        "The fake org (tests/fakes/salesforce) in its own process, seeded with N Account rows (20 fields). Sluice: an "
        "OnDemand flow, Map_all, dataTransferApi BULKV2, into the embedded S3 backend, timed from StartFlow to "
        "Successful. Peer in the same run: simple-salesforce `bulk2.Account.download` of the same SOQL, then "
        "pyarrow CSV -> one Parquet file. The sides take turns, five runs each (medians), each after a write that "
        "makes the fake generate its CSV afresh. Targets from issue #7: >= the peer's rows/s; server RSS < 600 MiB "
        "and flat.",
    ),
    "zendesk": (
        "Zendesk tickets -> S3 Parquet through the incremental ticket export (fake account)",
        zendesk.main,
        "The fake account (tests/fakes/zendesk) in its own process over https, seeded with N tickets (~40 attributes, "
        "nested via/custom_fields, arrays, non-ASCII text). Sluice: an OnDemand flow on `tickets`, Map_all, "
        "preserveSourceDataTyping, into the embedded S3 backend, timed from StartFlow to Successful. Peer in the same "
        "run: zenpy `tickets.incremental(start_time=0)` over the same cursor-based export (1,000 a page), nested "
        "values as JSON text, pyarrow -> one Parquet file. The sides take turns, `BENCH_ZD_REPEATS` runs each "
        "(default 3; medians). Targets "
        "from issue #14: >= the peer's records/s; server RSS < 400 MiB and flat from 100k to 500k.",
    ),
    "redshift": (
        "S3 CSV -> Redshift (stand-in: PostgreSQL behind the Data API fake) through StartFlow",
        lambda: redshift.main()[0],
        "1M rows (8 columns: bigint, varchar, numeric, integer, timestamptz, boolean) in one CSV object in moto's S3. "
        "Sluice: an OnDemand flow, Map_all, into a Redshift profile using the Data API; the run fits the rows to the "
        "table, stages Parquet in moto and loads it with one `COPY ... FORMAT AS PARQUET` transaction, which the "
        "stand-in (tests/fakes/redshift, its own process) carries out by reading the parts from moto and streaming "
        "them into PostgreSQL's `COPY FROM STDIN`. Peer in the same run: the same CSV object streamed from moto "
        "into psycopg's `COPY ... FROM STDIN (FORMAT csv)` on the same PostgreSQL table. Target from issue #16: "
        ">= 0.8x the peer's rows/s; server RSS < 400 MiB.",
    ),
    "snowflake": (
        "S3 CSV -> Snowflake (stand-in: fakesnow over https) through StartFlow",
        snowflake_destination.main,
        "1M rows in one CSV object on the embedded S3 store. Sluice: an OnDemand flow, Map_all, into a typed "
        "Snowflake table (NUMBER, VARCHAR, NUMBER(12,2), DATE, TIMESTAMP_NTZ, BOOLEAN); the run fits the rows to the "
        "table, stages Parquet behind the profile's external stage and loads it with one `COPY INTO` in a "
        "transaction on the stand-in (tests/fakes/snowflake: fakesnow's server over https, DuckDB underneath). Peer "
        "in the same run, against the same stand-in: what a script does with Snowflake's own connector - the same "
        "CSV read with pandas, then `write_pandas` (Parquet chunks PUT to a temporary stage, then COPY). Target "
        "from issue #16: server RSS < 400 MiB.",
    ),
    "custom-connector": (
        "Custom connectors: a SDK connector's source, local mode and behind a Lambda Invoke endpoint",
        custom_connector.main,
        "bench/connectors/synthetic.py (AWS's Custom Connector SDK, 100,000 generated records, 1,000 per QueryData "
        "page) read by an OnDemand flow into S3 Parquet, timed from StartFlow to Successful: in local mode (worker "
        "process) and through the fake Lambda Invoke endpoint (tests/fakes/lambda_endpoint, boto3). Protocol cost: "
        "a handler answering a ready 1,000-record page (~100 KB JSON), median of 200 calls, minus the same handler "
        "called in-process (the peer). Target from issue #8: < 2 ms per page in local mode.",
    ),
    "scheduler": (
        "Scheduler: 1,000 active rate(1minutes) flows for five minutes",
        scheduler.main,
        "A real server (SQLite, 2 run workers) with 1,000 Scheduled flows started over one minute, each reading an "
        "empty S3 prefix on the embedded backend. Lag = execution record start - scheduled slot. Targets from "
        "issue #5: lag p99 < 2 s, scheduler CPU < 10 % of one core.",
    ),
}


def check_tools(wanted: list[str]) -> None:
    """Stop early, saying how to get it, when a selected benchmark's external tool is missing."""
    if "control-plane" in wanted and not shutil.which("wrk"):
        sys.exit("bench: the control-plane benchmark needs wrk; `make bench-tools` (run by `make bench`) "
                 "installs Debian's package")


def replace_section(text: str, key: str, body: str) -> str:
    """Swap the block between the section's markers (appending it if new)."""
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        return head + block + tail
    return text.rstrip() + "\n\n" + block + "\n"


def main() -> int:
    """Run the selected (default: all) benchmarks and update BENCHMARKS.md."""
    wanted = sys.argv[1:] or list(SECTIONS)
    check_tools(wanted)
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nWritten by `make bench` (bench/run.py).\n"
    cpu = platform.processor() or platform.machine()
    for key in wanted:
        title, run, note = SECTIONS[key]
        table = run()
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        body = (
            f"## {title}\n\n{note.format(c=control_plane.CONNECTIONS, d=control_plane.DURATION)}\n\n"
            f"Measured {stamp} on {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
            f"command: `make bench` (or `.venv/bin/python bench/run.py {key}`).\n\n{table}\n"
        )
        print(body)
        text = replace_section(text, key, body)
    path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
