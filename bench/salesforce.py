"""Salesforce -> S3 Parquet through Bulk API 2.0, from the fake org, beside simple-salesforce.

The fake org runs in its own process (`python -m tests.fakes.salesforce`) seeded with N Account
rows. Sluice runs an OnDemand flow (Map_all, `dataTransferApi: BULKV2`) into the embedded S3
backend, timed from StartFlow until the record says Successful; its peak RSS is the server
process's VmHWM. The peer, in its own process against the same fake, is what a script would do
with a well-known client: simple-salesforce's `bulk2.<Object>.download` of the same SOQL to CSV
files, then pyarrow reading those files and writing one Parquet file. The two sides take turns,
`BENCH_SF_REPEATS` times each (median reported), each run after a write that makes the fake
generate its result CSV afresh, so both pay the same server-side work.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.salesforce import APP_CLIENT_ID, APP_CLIENT_SECRET, profile_request, sluice_env  # noqa: E402
from tests.support.server import free_port  # noqa: E402

from bench import common  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_SF_SIZES", "250000,1000000").split(",")]
REPEATS = int(os.environ.get("BENCH_SF_REPEATS", "5"))


class FakeOrg:
    """The fake org in a child process."""

    def __init__(self, accounts: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.salesforce", "--port", str(self.port),
             "--counts", f"Account={accounts}", "Contact=0", "Opportunity=0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                httpx.get(f"{self.url}/services/data/", timeout=1)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    output = self.proc.stdout.read() if self.proc.stdout else ""
                    raise RuntimeError(f"the fake org exited: {output}") from None
                time.sleep(0.5)
        raise RuntimeError("the fake org did not start")

    def token(self) -> str:
        answer = httpx.post(f"{self.url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": APP_CLIENT_ID, "client_secret": APP_CLIENT_SECRET})
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def bulk_fields(self, token: str) -> list[str]:
        describe = httpx.get(f"{self.url}/services/data/v59.0/sobjects/Account/describe",
                             headers={"Authorization": f"Bearer {token}"}).json()
        return [f["name"] for f in describe["fields"] if f["type"] not in ("address", "location")]

    def forget_results(self) -> None:
        """Write one Contact: the fake keeps a finished query's CSV only while its data is unchanged."""
        answer = httpx.post(f"{self.url}/services/data/v59.0/sobjects/Contact", json={"LastName": "bench"},
                            headers={"Authorization": f"Bearer {self.token()}"})
        answer.raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def sluice_side(tmp: Path, org: FakeOrg, rows: int) -> common.SluiceSide:
    """A Sluice server for a size, with a profile on the fake org; flows read Account with Bulk API 2.0."""
    source = {"connectorType": "Salesforce", "connectorProfileName": "bench-sf",
              "sourceConnectorProperties": {"Salesforce": {"object": "Account", "dataTransferApi": "BULKV2"}}}
    return common.SluiceSide(tmp / f"sluice-sf-{rows}", sluice_env(org.url, SLUICE_S3_BACKEND="local"),
                             profile_request("bench-sf", org.url, {"accessToken": org.token()}), source,
                             f"sf-bulk-{rows}", "sf")


PEER = r'''
import sys, time, resource, tempfile, glob
import pyarrow as pa, pyarrow.csv as csv, pyarrow.parquet as pq
from simple_salesforce import Salesforce
url, token, fields, out = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
start = time.perf_counter()
sf = Salesforce(instance_url="https://placeholder.my.salesforce.com", session_id=token)
# simple-salesforce builds https URLs from the instance; the fake serves plain http on loopback.
sf.base_url = f"{url}/services/data/v{sf.sf_version}/"
sf.bulk2_url = f"{url}/services/data/v{sf.sf_version}/jobs/"
# Poll the job as often as Sluice first does (0.2 s) rather than the default 5 s.
folder = tempfile.mkdtemp()
sf.bulk2.Account.download(f"SELECT {', '.join(fields)} FROM Account", path=folder, max_records=100000, wait=0.2)
writer, schema, rows = None, None, 0
for path in sorted(glob.glob(folder + "/*")):
    options = csv.ConvertOptions(column_types=schema, strings_can_be_null=True) if schema else \
        csv.ConvertOptions(strings_can_be_null=True)
    table = csv.read_csv(path, parse_options=csv.ParseOptions(newlines_in_values=True), convert_options=options)
    if schema is None:
        schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema])
        table = table.cast(schema)
        writer = pq.ParquetWriter(out, schema, compression="snappy")
    rows += table.num_rows
    writer.write_table(table)
writer.close()
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
'''


def peer_run(tmp: Path, org: FakeOrg) -> dict[str, float]:
    token = org.token()
    return common.run_peer(PEER, org.url, token, ",".join(org.bulk_fields(token)), str(tmp / "peer.parquet"))


def main() -> str:
    """Run every size; return the Markdown table."""
    import tempfile

    lines = [
        "| Records | Sluice rows/s | simple-salesforce + pyarrow rows/s | Sluice / peer | Sluice peak RSS MiB "
        "| peer peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            org = FakeOrg(rows)
            try:
                # Each run comes after a change that makes the fake forget its finished CSV: both
                # sides pay the result generation every time.
                sluice_runs, peer_runs, rss = common.take_turns(
                    sluice_side(tmp, org, rows), functools.partial(peer_run, tmp, org), REPEATS,
                    before_each=org.forget_results)
            finally:
                org.stop()
        lines.append(common.comparison_row(rows, sluice_runs, peer_runs, rss))
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
