"""S3 CSV -> Redshift (the stand-in) through Sluice, beside psycopg's COPY FROM STDIN into the same PostgreSQL.

The Redshift stand-in is the test suite's: a private PostgreSQL cluster behind the Redshift Data API
fake (`python -m tests.fakes.redshift`, its own process), which carries out Redshift's
`COPY ... FROM 's3://...' FORMAT AS PARQUET` by reading the staged objects from moto's S3 (moto in
its own process too). Sluice runs an OnDemand flow (S3 CSV source, Map_all) into a Redshift profile
using the Data API; the run stages Parquet in moto and loads it with one COPY transaction. It is
timed from StartFlow until the record says Successful; its peak RSS is the server process's VmHWM.
The peer, in its own process, loads the same CSV object into the same table the plainest fast way:
boto3 `get_object` streamed into psycopg's `COPY ... FROM STDIN (FORMAT csv, HEADER)`. The table is
emptied before every run; the sides take turns `BENCH_RS_REPEATS` times (median reported).

Run alone: `python bench/redshift.py` (rows from `BENCH_RS_ROWS`, default 1000000). Prints a
Markdown table, then one JSON line with the numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer, start_postgres  # noqa: E402
from tests.support.server import SluiceServer, free_port  # noqa: E402

from bench import common  # noqa: E402

ROWS = int(os.environ.get("BENCH_RS_ROWS", "1000000"))
REPEATS = int(os.environ.get("BENCH_RS_REPEATS", "1"))
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
TABLE = "public.bench_orders"
COLUMNS = ("(id bigint NOT NULL, name varchar(64), email varchar(128), amount numeric(12,2), qty integer, "
           "created timestamptz, vip boolean, note varchar(256))")


def _child(args: list[str], ready: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start a helper process and wait for the line matching `ready`; (process, the match's group 1)."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    deadline = time.time() + 60
    seen = ""
    while time.time() < deadline:
        line = proc.stdout.readline()
        seen += line
        found = re.search(ready, line)
        if found:
            return proc, found.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{args[2]} did not start: {seen[-2000:]}")


def _moto() -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc, _ = _child([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                     r"(Running on)")
    return proc, f"http://127.0.0.1:{port}"


def _csv(rows: int) -> bytes:
    """`rows` orders as CSV (fixed seed; non-ASCII names, decimals, timestamps, booleans)."""
    rnd = random.Random(16)
    names = ["Ada Lovelace", "Zoë Müller", "José García", "Łukasz Nørgaard", "美咲 山田", "Grace Hopper"]
    ids = pa.array(range(1, rows + 1), type=pa.int64())
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    table = pa.table({
        "id": ids,
        "name": [names[i % len(names)] for i in range(rows)],
        "email": [f"user{i}@example.org" for i in range(rows)],
        "amount": [f"{rnd.randint(0, 10**7) / 100:.2f}" for _ in range(rows)],
        "qty": [rnd.randint(1, 99) for _ in range(rows)],
        "created": [(base + dt.timedelta(seconds=rnd.randint(0, 10**8))).strftime("%Y-%m-%dT%H:%M:%SZ")
                    for _ in range(rows)],
        "vip": [rnd.random() < 0.1 for _ in range(rows)],
        "note": [None if i % 7 == 0 else f"order note {i % 1000}" for i in range(rows)],
    })
    out = io.BytesIO()
    pacsv.write_csv(table, out)
    return out.getvalue()


class Stand:
    """PostgreSQL, moto and the Data API fake, with the source CSV in moto."""

    def __init__(self, rows: int) -> None:
        self.pg: PostgresServer = start_postgres()
        self.children: list[subprocess.Popen[str]] = []
        try:
            self.database = self.pg.create_database().rsplit("/", 1)[1]
            self.dsn = f"postgresql://postgres@127.0.0.1:{self.pg.port}/{self.database}"
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE {TABLE} {COLUMNS}")
            moto, self.moto_url = _moto()
            self.children.append(moto)
            fake_port = free_port()
            fake, self.ca = _child([sys.executable, "-m", "tests.fakes.redshift", "--port", str(fake_port),
                                    "--pg-port", str(self.pg.port), "--s3", self.moto_url], r"\(trust (.+)\)")
            self.children.append(fake)
            self.fake_url = f"https://127.0.0.1:{fake_port}"
            s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
            for bucket in ("bench-src", "bench-stage"):
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket="bench-src", Key="in/orders.csv", Body=_csv(rows))
        except BaseException:
            self.stop()
            raise

    def empty_table(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {TABLE}")
            conn.execute(f"VACUUM ANALYZE {TABLE}")

    def count(self) -> int:
        with psycopg.connect(self.dsn) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])  # type: ignore[index]

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
            child.wait(timeout=30)
        self.pg.stop()


class SluiceSide:
    """A Sluice server with a Redshift (Data API) profile; each `run()` times a fresh OnDemand flow."""

    def __init__(self, data_dir: Path, stand: Stand) -> None:
        self.stand, self.runs = stand, 0
        self.server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
            "AWS_ENDPOINT_URL_S3": stand.moto_url, "AWS_ENDPOINT_URL_STS": stand.moto_url,
            "AWS_ENDPOINT_URL_REDSHIFT_DATA": stand.fake_url, "AWS_CA_BUNDLE": stand.ca, **KEYS}).start()
        self.client = self.server.client()
        self.client.create_connector_profile(
            connectorProfileName="bench-rs", connectorType="Redshift", connectionMode="Public",
            connectorProfileConfig={
                "connectorProfileProperties": {"Redshift": {
                    "bucketName": "bench-stage", "roleArn": "arn:aws:iam::123456789012:role/bench-copy",
                    "dataApiRoleArn": "arn:aws:iam::123456789012:role/bench-data", "clusterIdentifier": "sluice-test",
                    "databaseName": stand.database}},
                "connectorProfileCredentials": {"Redshift": {"username": "awsuser", "password": "bench"}}})

    def run(self) -> dict[str, float]:
        self.runs += 1
        name = f"rs-bench-{self.runs}"
        self.client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"},
            sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
                "bucketName": "bench-src", "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
            destinationFlowConfigList=[{"connectorType": "Redshift", "connectorProfileName": "bench-rs",
                                        "destinationConnectorProperties": {"Redshift": {
                                            "object": TABLE, "intermediateBucketName": "bench-stage",
                                            "bucketPrefix": "appflow"}}}],
            tasks=common.map_all("S3"))
        seconds, record = common.timed_run(self.client, name)
        loaded = self.stand.count()
        return {"seconds": seconds, "records": min(record["executionResult"]["recordsProcessed"], loaded)}

    def peak_rss(self) -> float:
        return common.peak_rss_mib(self.server.proc.pid)  # type: ignore[union-attr]

    def stop(self) -> None:
        self.server.stop()


PEER = r'''
import sys, time, resource
import boto3, psycopg
moto, dsn, table = sys.argv[1:4]
start = time.perf_counter()
s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
body = s3.get_object(Bucket="bench-src", Key="in/orders.csv")["Body"]
with psycopg.connect(dsn) as conn:
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            for chunk in body.iter_chunks(1 << 20):
                copy.write(chunk)
        rows = cur.rowcount
    conn.commit()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def peer_run(stand: Stand) -> dict[str, float]:
    return common.run_peer(PEER, stand.moto_url, stand.dsn, TABLE)


def main() -> tuple[str, dict[str, Any]]:
    """Run the comparison; (the Markdown table, the numbers)."""
    stand = Stand(ROWS)
    try:
        with tempfile.TemporaryDirectory() as folder:
            sluice_runs, peer_runs, rss = common.take_turns(
                SluiceSide(Path(folder) / "sluice-rs", stand), functools.partial(peer_run, stand), REPEATS,
                before_each=stand.empty_table)
    finally:
        stand.stop()
    row = common.comparison_row(ROWS, sluice_runs, peer_runs, rss)
    table = "\n".join([
        "| Rows | Sluice rows/s | psycopg COPY FROM STDIN rows/s | Sluice / peer | Sluice server peak RSS MiB "
        "| peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|",
        row,
    ])
    sluice_s = sorted(r["seconds"] for r in sluice_runs)[len(sluice_runs) // 2]
    peer_s = sorted(r["seconds"] for r in peer_runs)[len(peer_runs) // 2]
    numbers = {"rows": ROWS, "sluice_rows_per_s": ROWS / sluice_s, "peer_rows_per_s": ROWS / peer_s,
               "ratio": peer_s / sluice_s, "sluice_peak_rss_mib": rss, "target_ratio": 0.8, "target_rss_mib": 400}
    return table, numbers


if __name__ == "__main__":
    markdown, result = main()
    print(markdown)
    print(json.dumps(result))
