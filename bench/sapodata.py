"""SAP OData entity set -> S3 Parquet from the fake SAP system, maxParallelism 1 and 4, beside pyodata.

The fake SAP system runs in its own process (`python -m tests.fakes.sapodata`) with N sales orders
(14 properties: Edm.Decimal amounts as text, `/Date(...)/` instants, a complex ShipTo address, nulls,
non-ASCII text; OData V2 verbose JSON with `__metadata` per entry). Sluice runs OnDemand flows
(Map_all, `preserveSourceDataTyping`, one Parquet object) with `paginationConfig.maxPageSize` 3000
(AppFlow's maximum for OData) and `parallelismConfig.maxParallelism` 1 and 4, timed from StartFlow
until the record says Successful; its peak RSS is the server process's VmHWM. The peer, in its own
process against the same fake, is what a script would do with SAP's Python client: pyodata's
`get_entities().top(3000).skip(k)` pages, each entity's properties as a dict, then pyarrow writing one
Parquet file in 50,000-row row groups. The three take turns, `BENCH_SAP_REPEATS` times each (median
reported). pyodata must be importable by the peer (`.bench/peerlib`, or PYTHONPATH).

Run alone: `python bench/sapodata.py` (sizes from `BENCH_SAP_SIZES`, default 500000).
"""

from __future__ import annotations

import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.sapodata.model import SALES_PATH  # noqa: E402
from tests.fakes.sapodata.system import PASSWORD, USER  # noqa: E402
from tests.support.server import free_port  # noqa: E402

from bench import common  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SAP_SIZES", "500000").split(",")]
REPEATS = int(os.environ.get("BENCH_SAP_REPEATS", "3"))
PAGE = 3000
OBJECT = f"{SALES_PATH}/SalesOrderSet"


class FakeSystem:
    """The fake SAP system in a child process (https with its own test CA)."""

    def __init__(self, orders: int) -> None:
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.sapodata", "--port", str(self.port), "--orders", str(orders)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"\(trust (.+)\)", line)
        if not found:
            raise RuntimeError(f"the fake SAP system did not start: {line}{self.proc.stdout.read()}")
        self.ca = found.group(1)
        context = ssl.create_default_context(cafile=self.ca)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx.get(f"{self.url}{SALES_PATH}/$metadata", auth=(USER, PASSWORD), verify=context,
                          timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the fake SAP system exited") from None
                time.sleep(0.2)
        raise RuntimeError("the fake SAP system did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def source(parallelism: int) -> dict[str, Any]:
    return {"connectorType": "SAPOData", "connectorProfileName": "bench-sap", "sourceConnectorProperties": {
        "SAPOData": {"objectPath": OBJECT, "parallelismConfig": {"maxParallelism": parallelism},
                     "paginationConfig": {"maxPageSize": PAGE}}}}


def sluice_side(tmp: Path, system: FakeSystem, rows: int) -> common.SluiceSide:
    """A Sluice server for a size, with a profile on the fake system."""
    env = {"SSL_CERT_FILE": system.ca, "REQUESTS_CA_BUNDLE": system.ca, "SLUICE_S3_BACKEND": "local"}
    profile = {"connectorProfileName": "bench-sap", "connectorType": "SAPOData", "connectionMode": "Public",
               "connectorProfileConfig": {
                   "connectorProfileProperties": {"SAPOData": {
                       "applicationHostUrl": "https://127.0.0.1", "portNumber": system.port,
                       "applicationServicePath": SALES_PATH, "clientNumber": "100", "logonLanguage": "EN"}},
                   "connectorProfileCredentials": {"SAPOData": {"basicAuthCredentials": {
                       "username": USER, "password": PASSWORD}}}}}
    return common.SluiceSide(tmp / f"sluice-sap-{rows}", env, profile, source(1), f"sap-orders-{rows}", "sap")


PEER = r'''
import os, sys, time, resource
import requests
import pyarrow as pa, pyarrow.parquet as pq
import pyodata
url, path, user, password, ca, out, page = sys.argv[1:8]
page = int(page)
os.environ["REQUESTS_CA_BUNDLE"] = ca  # requests prefers it to Session.verify
start = time.perf_counter()
session = requests.Session()
session.auth = (user, password)
session.verify = ca
session.params = {"sap-client": "100"}
client = pyodata.Client(f"{url}{path}/", session)
names = [p.name for p in client.schema.entity_type("SalesOrder").proprties()]
orders = client.entity_sets.SalesOrderSet
writer, rows, chunk, skip = None, 0, [], 0

def flush():
    global writer
    if not chunk:
        return
    table = pa.Table.from_pylist(chunk)
    if writer is None:
        writer = pq.ParquetWriter(out, table.schema, compression="snappy")
    writer.write_table(table.cast(writer.schema))
    chunk.clear()

while True:
    entities = orders.get_entities().top(page).skip(skip).execute()
    for entity in entities:
        chunk.append({name: getattr(entity, name) for name in names})
    rows += len(entities)
    skip += page
    if len(chunk) >= 50000:
        flush()
    if len(entities) < page:
        break
flush()
writer.close()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def peer_run(tmp: Path, system: FakeSystem) -> dict[str, float]:
    return common.run_peer(PEER, system.url, SALES_PATH, USER, PASSWORD, system.ca, str(tmp / "peer.parquet"),
                           str(PAGE))


def main() -> str:
    """Run every size; return the Markdown table."""
    lines = [
        "| Orders | Sluice p=1 records/s | Sluice p=4 records/s | pyodata + pyarrow records/s | p=1 / peer "
        "| p=4 / peer | Sluice server peak RSS MiB | peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            system = FakeSystem(rows)
            runs: dict[str, list[dict[str, float]]] = {"p1": [], "p4": [], "peer": []}
            side = sluice_side(tmp, system, rows)
            try:
                for _ in range(REPEATS):  # in turns, so drift on a shared machine hits every side
                    for parallelism in (1, 4):
                        side.source = source(parallelism)
                        runs[f"p{parallelism}"].append(side.run())
                    runs["peer"].append(peer_run(tmp, system))
                rss = side.peak_rss()
            finally:
                side.stop()
                system.stop()
        if any(r["records"] != rows for group in runs.values() for r in group):
            raise RuntimeError(f"record counts differ from {rows}: {runs}")
        seconds = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
        lines.append(f"| {rows:,} | {rows / seconds['p1']:,.0f} | {rows / seconds['p4']:,.0f} | "
                     f"{rows / seconds['peer']:,.0f} | {seconds['peer'] / seconds['p1']:.2f}x | "
                     f"{seconds['peer'] / seconds['p4']:.2f}x | {rss:.0f} | "
                     f"{max(r['rss'] for r in runs['peer']):.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
