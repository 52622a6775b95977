"""S3 CSV -> Snowflake (the fakesnow stand-in), beside snowflake-connector-python's `write_pandas`.

The stand-in (tests/fakes/snowflake/: fakesnow's server, https with the test CA) runs in this
process; its external stage reads the staging bucket straight from the folder of Sluice's embedded
S3 store. Sluice runs an OnDemand flow (S3 CSV source, Map_all) into a typed table (NUMBER,
VARCHAR, NUMBER(12,2), DATE, TIMESTAMP_NTZ, BOOLEAN): it fits every row to the columns, stages
Parquet parts and loads them with one COPY INTO in a transaction. Timed from StartFlow until the
record says Successful; its peak RSS is the server process's VmHWM. The peer, in its own process
against the same stand-in, is what a script would do with Snowflake's own Python connector: read
the same CSV with pandas (typed: dates parsed), then `write_pandas` into an identical table (which
PUTs Parquet chunks to a temporary stage and COPYs them in). Both tables are counted after each
run. The sides take turns, `BENCH_SF_REPEATS` times each (median reported).

Run alone: `python bench/snowflake_destination.py` (not `bench/snowflake.py`: with bench/ on sys.path that name
would shadow the `snowflake` package) (sizes from `BENCH_SF_SIZES`, default 1000000).
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.snowflake import SnowflakeStandIn  # noqa: E402
from tests.support.server import SluiceServer  # noqa: E402
from tests.support.tls import tls_env  # noqa: E402

from bench import common  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SF_SIZES", "1000000").split(",")]
REPEATS = int(os.environ.get("BENCH_SF_REPEATS", "3"))
PASSWORD = "bench-snowflake-pw"
DATABASE = "BENCH"
COLUMNS = ("(ID NUMBER(10,0) NOT NULL, NAME VARCHAR(40), EMAIL VARCHAR(80), AMOUNT NUMBER(12,2), QTY NUMBER(5,0), "
           "DAY DATE, SEEN TIMESTAMP_NTZ, FLAG BOOLEAN)")


def write_source(data_dir: Path, rows: int) -> Path:
    """`rows` CSV records in the embedded store's `bench-in/in/rows.csv`; the file's path."""
    path = data_dir / "s3" / "bench-in" / "in" / "rows.csv"
    path.parent.mkdir(parents=True)
    ids = pa.array(range(1, rows + 1), pa.int64())
    table = pa.table({
        "id": ids,
        "name": pa.array([f"Renée Zoë {i}" for i in range(rows)]),
        "email": pa.array([f"user{i}@example.com" for i in range(rows)]),
        "amount": pa.array([f"{i % 5000}.{i % 100:02d}" for i in range(rows)]),
        "qty": pa.array([i % 7 for i in range(rows)], pa.int64()),
        "day": pa.array([f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(rows)]),
        "seen": pa.array([f"2024-03-{1 + i % 28:02d} {i % 24:02d}:15:30" for i in range(rows)]),
        "flag": pa.array([i % 3 != 0 for i in range(rows)]),
    })
    pacsv.write_csv(table, str(path))
    return path


class SluiceSnowflake:
    """One Sluice server with a Snowflake profile; each `run()` loads the CSV into a fresh table."""

    def __init__(self, data_dir: Path, standin: SnowflakeStandIn, rows: int) -> None:
        env = {**tls_env(), "SLUICE_S3_BACKEND": "local", "SLUICE_ENDPOINT_URL_SNOWFLAKE": standin.url}
        self.standin, self.rows, self.runs = standin, rows, 0
        self.server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env).start()
        self.client = self.server.client()
        self.client.create_connector_profile(
            connectorProfileName="bench-sf", connectorType="Snowflake", connectionMode="Public",
            connectorProfileConfig={
                "connectorProfileProperties": {"Snowflake": {
                    "warehouse": "LOAD_WH", "stage": f"{DATABASE}.RAW.STAGE", "bucketName": "bench-stage",
                    "bucketPrefix": "appflow", "accountName": "bench"}},
                "connectorProfileCredentials": {"Snowflake": {"username": "loader", "password": PASSWORD}}})

    def run(self) -> dict[str, float]:
        self.runs += 1
        table = f"SLUICE_{self.rows}_{self.runs}"
        self.standin.sql(f"CREATE TABLE {DATABASE}.RAW.{table} {COLUMNS}")
        name = f"sf-{self.rows}-{self.runs}"
        self.client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"},
            sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
                "bucketName": "bench-in", "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
            destinationFlowConfigList=[{
                "connectorType": "Snowflake", "connectorProfileName": "bench-sf",
                "destinationConnectorProperties": {"Snowflake": {
                    "object": f"{DATABASE}.RAW.{table}", "intermediateBucketName": "bench-stage",
                    "bucketPrefix": "appflow"}}}],
            tasks=common.map_all("S3"))
        seconds, record = common.timed_run(self.client, name)
        loaded = self.standin.sql(f"SELECT COUNT(*) FROM {DATABASE}.RAW.{table}")[0][0]
        if loaded != record["executionResult"]["recordsProcessed"]:
            raise RuntimeError(f"Sluice reported {record['executionResult']} but the table holds {loaded} rows")
        return {"seconds": seconds, "records": float(loaded)}

    def peak_rss(self) -> float:
        return common.peak_rss_mib(self.server.proc.pid)  # type: ignore[union-attr]

    def stop(self) -> None:
        self.server.stop()


PEER = r'''
import os, sys, time, resource
import pandas as pd
import snowflake.connector
from snowflake.connector.pandas_tools import write_pandas
port, password, csv, table, ca = sys.argv[1:6]
os.environ["REQUESTS_CA_BUNDLE"] = ca
start = time.perf_counter()
df = pd.read_csv(csv, parse_dates=["day", "seen"])
df["day"] = df["day"].dt.date
df.columns = [c.upper() for c in df.columns]
conn = snowflake.connector.connect(user="loader", password=password, account="bench", host="127.0.0.1",
                                   port=int(port), protocol="https", disable_ocsp_checks=True, database="BENCH",
                                   schema="RAW", session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False})
ok, chunks, rows, _ = write_pandas(conn, df, table, database="BENCH", schema="RAW", quote_identifiers=False,
                                   use_logical_type=True)
conn.close()
assert ok, "write_pandas failed"
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def peer_run(standin: SnowflakeStandIn, csv: Path, rows: int, counter: list[int]) -> dict[str, float]:
    counter[0] += 1
    table = f"PEER_{rows}_{counter[0]}"
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.{table} {COLUMNS}")
    result = common.run_peer(PEER, str(standin.port), PASSWORD, str(csv), table, tls_env()["REQUESTS_CA_BUNDLE"])
    loaded = standin.sql(f"SELECT COUNT(*) FROM {DATABASE}.RAW.{table}")[0][0]
    if loaded != result["records"]:
        raise RuntimeError(f"write_pandas reported {result['records']} rows but the table holds {loaded}")
    return result


def bench_size(rows: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "sluice"
        csv = write_source(data_dir, rows)
        (data_dir / "s3" / "bench-stage" / "appflow").mkdir(parents=True)
        with SnowflakeStandIn(local_buckets=str(data_dir / "s3"), users={"LOADER": PASSWORD}) as standin:
            standin.sql(f"CREATE DATABASE {DATABASE}")
            standin.sql(f"CREATE SCHEMA {DATABASE}.RAW")
            standin.sql(f"CREATE STAGE {DATABASE}.RAW.STAGE URL='s3://bench-stage/appflow/'")
            side: Any = SluiceSnowflake(data_dir, standin, rows)
            sluice_runs, peer_runs, rss = common.take_turns(
                side, functools.partial(peer_run, standin, csv, rows, [0]), REPEATS)
    return common.comparison_row(rows, sluice_runs, peer_runs, rss)


def main() -> str:
    """Run every size; return the Markdown table."""
    lines = [
        "| Rows | Sluice rows/s | write_pandas rows/s | Sluice / peer | Sluice server peak RSS MiB "
        "| peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [bench_size(rows) for rows in SIZES]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
