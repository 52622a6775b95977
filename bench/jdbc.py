"""JDBC (PostgreSQL) table -> S3 Parquet through Sluice, beside psycopg + pyarrow doing the same copy.

DuckDB's `postgres` scanner would be the natural yardstick, but `INSTALL postgres` downloads the
extension and this machine has no route to extensions.duckdb.org, so the peers are psycopg + pyarrow,
each in its own process, writing the same table to one Parquet file:

* cursor - the usual way: a psycopg server-side (named) cursor, `fetchmany(65536)` tuples turned into
  Arrow columns, appended with a `ParquetWriter`;
* copy - what Sluice's connector does inside: `COPY (SELECT ...) TO STDOUT (FORMAT csv)` streamed into
  pyarrow's CSV reader, batches appended with a `ParquetWriter` (the floor: no service around it).

The table (private PostgreSQL cluster, `BENCH_JDBC_ROWS` rows, default 1,000,000) has a bigint key,
text, varchar, numeric(12,2), integer, timestamptz, boolean and a nullable text column. Sluice runs an
OnDemand flow (JDBCsmall profile, Map_all, typed Parquet, one object) timed from StartFlow until its
record says Successful; its peak RSS is the server process's VmHWM. The sides take turns
`BENCH_JDBC_REPEATS` times (median reported; default 3).

Run alone: `python bench/jdbc.py`. Prints a Markdown table, then one JSON line with the numbers.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer, start_postgres  # noqa: E402

from bench import common  # noqa: E402

ROWS = int(os.environ.get("BENCH_JDBC_ROWS", "1000000"))
REPEATS = int(os.environ.get("BENCH_JDBC_REPEATS", "3"))
TABLE = "public.bench_orders"


def make_table(pg: PostgresServer, rows: int) -> str:
    """A database holding `rows` orders in `TABLE`; its name."""
    database = pg.create_database().rsplit("/", 1)[1]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/{database}", autocommit=True) as conn:
        conn.execute(f"""CREATE TABLE {TABLE} (id bigint PRIMARY KEY, name text, email varchar(128),
            amount numeric(12,2), qty integer, created timestamptz, vip boolean, note text)""")
        conn.execute(f"""INSERT INTO {TABLE}
            SELECT i, (ARRAY['Ada Lovelace','Zoë Müller','José García','美咲 山田','Grace Hopper'])[1 + i % 5],
                   'user' || i || '@example.org', ((i * 7919) % 10000000) / 100.0, 1 + i % 99,
                   '2024-01-01'::timestamptz + (i * 97 % 100000000) * interval '1 second', i % 10 = 0,
                   CASE WHEN i % 7 = 0 THEN NULL ELSE 'order note ' || (i % 1000) END
            FROM generate_series(1::bigint, {rows}) AS i""")
        conn.execute(f"VACUUM ANALYZE {TABLE}")
    return database


CURSOR_PEER = r'''
import sys, time, resource
import psycopg, pyarrow as pa, pyarrow.parquet as pq
dsn, table, out = sys.argv[1:4]
start = time.perf_counter()
rows = 0
with psycopg.connect(dsn) as conn, conn.cursor(name="bench") as cur:
    cur.itersize = 65536
    cur.execute(f"SELECT * FROM {table}")
    writer = None
    while True:
        chunk = cur.fetchmany(65536)
        if not chunk:
            break
        names = [d.name for d in cur.description]
        batch = pa.Table.from_arrays([pa.array(list(c)) for c in zip(*chunk)], names=names)
        writer = writer or pq.ParquetWriter(out, batch.schema)
        writer.write_table(batch)
        rows += len(chunk)
    writer.close()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''

COPY_PEER = r'''
import io, sys, time, resource
import psycopg, pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
dsn, table, out = sys.argv[1:4]
types = {"id": pa.int64(), "name": pa.string(), "email": pa.string(), "amount": pa.decimal128(12, 2),
         "qty": pa.int32(), "created": pa.timestamp("us", tz="UTC"), "vip": pa.bool_(), "note": pa.string()}

class Stream(io.RawIOBase):
    def __init__(self, copy):
        self.copy, self.rest = copy, memoryview(b"")
    def readable(self):
        return True
    def readinto(self, buf):
        view, n = memoryview(buf).cast("B"), 0
        while n < len(view):
            if not self.rest:
                chunk = self.copy.read()
                if not chunk:
                    break
                self.rest = memoryview(chunk).cast("B")
            k = min(len(view) - n, len(self.rest))
            view[n:n + k] = self.rest[:k]
            self.rest, n = self.rest[k:], n + k
        return n

start = time.perf_counter()
rows = 0
with psycopg.connect(dsn, options="-c TimeZone=UTC") as conn, conn.cursor() as cur:
    with cur.copy(f"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT csv)") as copy:
        reader = pacsv.open_csv(Stream(copy), read_options=pacsv.ReadOptions(column_names=list(types),
                                block_size=4 << 20),
                                convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""],
                                strings_can_be_null=True, quoted_strings_can_be_null=False,
                                true_values=["t"], false_values=["f"]))
        writer = pq.ParquetWriter(out, reader.schema)
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
        writer.close()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def main() -> tuple[str, dict[str, Any]]:
    """Run the comparison; (the Markdown table, the numbers)."""
    pg = start_postgres()
    try:
        database = make_table(pg, ROWS)
        dsn = f"postgresql://postgres@127.0.0.1:{pg.port}/{database}"
        with tempfile.TemporaryDirectory() as folder:
            out = str(Path(folder) / "peer.parquet")
            profile = {
                "connectorProfileName": "bench-jdbc", "connectorType": "CustomConnector",
                "connectorLabel": "JDBCsmall", "connectionMode": "Public",
                "connectorProfileConfig": {
                    "connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}},
                    "connectorProfileCredentials": {"CustomConnector": {
                        "authenticationType": "CUSTOM", "custom": {"customAuthenticationType": "CUSTOM",
                                                                   "credentialsMap": {
                            "driver": "postgresql", "hostname": "127.0.0.1", "port": str(pg.port),
                            "database": database, "username": "postgres", "password": "trust"}}}}},
            }
            source = {"connectorType": "CustomConnector", "connectorProfileName": "bench-jdbc",
                      "sourceConnectorProperties": {"CustomConnector": {"entityName": TABLE}}}
            side = common.SluiceSide(Path(folder) / "sluice", {}, profile, source, "jdbc-bench", "jdbc")
            copy_runs: list[dict[str, float]] = []

            def peers() -> dict[str, float]:
                copy_runs.append(common.run_peer(COPY_PEER, dsn, TABLE, out))
                return common.run_peer(CURSOR_PEER, dsn, TABLE, out)

            sluice_runs, cursor_runs, rss = common.take_turns(side, peers, REPEATS)
    finally:
        pg.stop()
    if any(r["records"] != ROWS for r in sluice_runs + cursor_runs + copy_runs):
        raise RuntimeError(f"record counts differ from {ROWS}: {sluice_runs} {cursor_runs} {copy_runs}")
    sluice_s = statistics.median(r["seconds"] for r in sluice_runs)
    cursor_s = statistics.median(r["seconds"] for r in cursor_runs)
    copy_s = statistics.median(r["seconds"] for r in copy_runs)
    table = "\n".join([
        "| Rows | Sluice rows/s | psycopg cursor + pyarrow rows/s | Sluice / cursor peer | "
        "psycopg COPY + pyarrow CSV rows/s | Sluice / COPY peer | Sluice server peak RSS MiB | peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {ROWS:,} | {ROWS / sluice_s:,.0f} | {ROWS / cursor_s:,.0f} | {cursor_s / sluice_s:.2f}x | "
        f"{ROWS / copy_s:,.0f} | {copy_s / sluice_s:.2f}x | {rss:.0f} | "
        f"{max(r['rss'] for r in cursor_runs + copy_runs):.0f} |",
    ])
    numbers = {"rows": ROWS, "sluice_rows_per_s": ROWS / sluice_s, "cursor_peer_rows_per_s": ROWS / cursor_s,
               "copy_peer_rows_per_s": ROWS / copy_s, "ratio": cursor_s / sluice_s, "ratio_copy": copy_s / sluice_s,
               "sluice_peak_rss_mib": rss, "target_ratio": 1.0, "target_rss_mib": 400}
    return table, numbers


if __name__ == "__main__":
    markdown, result = main()
    print(markdown)
    print(json.dumps(result))
