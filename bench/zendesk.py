"""Zendesk tickets -> S3 Parquet through the incremental ticket export, from the fake, beside zenpy.

The fake account runs in its own process (`python -m tests.fakes.zendesk`) seeded with N tickets
(about 40 attributes each, nested `via`, `custom_fields`, arrays, non-ASCII text). Sluice runs an
OnDemand flow (Map_all, `preserveSourceDataTyping`) into the embedded S3 backend, timed from
StartFlow until the record says Successful; its peak RSS is the server process's VmHWM. The peer,
in its own process against the same fake, is what a script would do with Zendesk's best-known
Python client: zenpy's `tickets.incremental(start_time=0)` (the same cursor-based export, 1,000
tickets a page), each ticket's dict with nested values as JSON text, then pyarrow writing one
Parquet file in 50,000-row row groups. The sides take turns, `BENCH_ZD_REPEATS` times each
(median reported).

Run alone: `python bench/zendesk.py` (sizes from `BENCH_ZD_SIZES`, default 100000,500000).
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import free_port  # noqa: E402

from bench import common  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_ZD_SIZES", "100000,500000").split(",")]
REPEATS = int(os.environ.get("BENCH_ZD_REPEATS", "3"))
TOKEN = "bench-zendesk-token"


class FakeAccount:
    """The fake Zendesk account in a child process (https with its own test CA)."""

    def __init__(self, tickets: int) -> None:
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.zendesk", "--port", str(self.port), "--tickets", str(tickets),
             "--users", "20000", "--organizations", "2000", "--token", TOKEN],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"\(trust (.+)\)", line)
        if not found:
            raise RuntimeError(f"the fake account did not start: {line}{self.proc.stdout.read()}")
        self.ca = found.group(1)
        context = ssl.create_default_context(cafile=self.ca)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx.get(f"{self.url}/api/v2/users/me.json", headers={"Authorization": f"Bearer {TOKEN}"},
                          verify=context, timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the fake account exited") from None
                time.sleep(0.2)
        raise RuntimeError("the fake account did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def sluice_side(tmp: Path, account: FakeAccount, rows: int) -> common.SluiceSide:
    """A Sluice server for a size, with a profile on the fake account."""
    env = {"SSL_CERT_FILE": account.ca, "REQUESTS_CA_BUNDLE": account.ca,
           "SLUICE_ENDPOINT_URL_ZENDESK": account.url, "SLUICE_S3_BACKEND": "local"}
    profile = {"connectorProfileName": "bench-zd", "connectorType": "Zendesk", "connectionMode": "Public",
               "connectorProfileConfig": {
                   "connectorProfileProperties": {"Zendesk": {"instanceUrl": account.url}},
                   "connectorProfileCredentials": {"Zendesk": {"clientId": "sluice", "clientSecret": "sluice-secret",
                                                               "accessToken": TOKEN}}}}
    source = {"connectorType": "Zendesk", "connectorProfileName": "bench-zd",
              "sourceConnectorProperties": {"Zendesk": {"object": "tickets"}}}
    return common.SluiceSide(tmp / f"sluice-zd-{rows}", env, profile, source, f"zd-tickets-{rows}", "zd")


PEER = r'''
import json, os, sys, time, resource
import requests
import pyarrow as pa, pyarrow.parquet as pq
from zenpy import Zenpy
url, token, ca, out = sys.argv[1:5]
os.environ["ZENPY_FORCE_NETLOC"] = url.removeprefix("https://")  # zenpy builds {subdomain}.zendesk.com URLs
os.environ["REQUESTS_CA_BUNDLE"] = ca
start = time.perf_counter()
session = requests.Session()
zen = Zenpy(subdomain="bench", oauth_token=token, session=session, disable_cache=True)

def flat(ticket):
    return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
            for k, v in ticket.to_dict().items()}

writer, schema, rows, chunk = None, None, 0, []
def flush():
    global writer, schema
    if not chunk:
        return
    if schema is None:
        inferred = pa.Table.from_pylist(chunk).schema
        schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in inferred])
        writer = pq.ParquetWriter(out, schema, compression="snappy")
    writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    chunk.clear()

for ticket in zen.tickets.incremental(start_time=0):
    chunk.append(flat(ticket))
    rows += 1
    if len(chunk) == 50000:
        flush()
flush()
writer.close()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def peer_run(tmp: Path, account: FakeAccount) -> dict[str, float]:
    return common.run_peer(PEER, account.url, TOKEN, account.ca, str(tmp / "peer.parquet"))


def main() -> str:
    """Run every size; return the Markdown table."""
    lines = [
        "| Tickets | Sluice records/s | zenpy + pyarrow records/s | Sluice / peer | Sluice server peak RSS MiB "
        "| peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            account = FakeAccount(rows)
            try:
                sluice_runs, peer_runs, rss = common.take_turns(
                    sluice_side(tmp, account, rows), functools.partial(peer_run, tmp, account), REPEATS)
            finally:
                account.stop()
        lines.append(common.comparison_row(rows, sluice_runs, peer_runs, rss))
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
