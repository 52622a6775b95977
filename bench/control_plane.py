"""Control-plane benchmark: signed DescribeFlow / ListFlows against 1,000 stored flows.

Starts `sluice serve` (SQLite, no run workers) on a random loopback port, creates 1,000 flows
through boto3, then drives pre-signed requests with `wrk` (a C load generator, so the
client costs as little CPU as possible on the same machine). Peers measured in the same run:

* `asgi-ceiling` - a bare uvicorn ASGI app returning a fixed JSON body: what the server stack
  can do at all, with no signature check, routing, validation or database.
* `moto` - moto's server (the usual open-source AWS emulator) answering EventBridge
  `DescribeRule`, a comparable signed JSON describe call, with 1,000 rules stored.

Prints a Markdown table; `bench/run.py` writes it into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer, free_port  # noqa: E402

from bench.common import peak_rss_mib  # noqa: E402

FLOWS = 1000
DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))


def _flow(name: str) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {
            "connectorType": "S3",
            "sourceConnectorProperties": {"S3": {"bucketName": "bench-in", "bucketPrefix": name}},
        },
        "destinationFlowConfigList": [
            {"connectorType": "S3", "destinationConnectorProperties": {"S3": {"bucketName": "bench-out"}}}
        ],
        "tasks": [
            {"sourceFields": ["id", "amount"], "connectorOperator": {"S3": "PROJECTION"}, "taskType": "Filter"},
            {"sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "taskType": "Map",
             "destinationField": "id"},
        ],
        "tags": {"bench": "yes"},
    }


def signed(url: str, service: str, target_path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, str]:
    """Headers of a SigV4-signed POST (valid for 15 minutes, so wrk can replay it)."""
    request = AWSRequest(method="POST", url=url + target_path, data=json.dumps(body), headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, REGION).add_auth(request)
    return {k: v for k, v in request.headers.items()}


def lua_script(requests: list[tuple[str, dict[str, str], str]]) -> str:
    """A wrk script cycling through pre-built requests."""
    entries = []
    for path, headers, body in requests:
        hdrs = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        entries.append(f"wrk.format('POST', {json.dumps(path)}, {{{hdrs}}}, {json.dumps(body)})")
    return textwrap.dedent(
        """
        local reqs = {}
        init = function(args)
        %s
        end
        local i = 0
        request = function()
          i = i %% #reqs + 1
          return reqs[i]
        end
        local bad = 0
        response = function(status, headers, body)
          if status ~= 200 then bad = bad + 1 end
        end
        done = function(summary, latency, requests)
          io.write(string.format("NON200 %%d\\n", summary.status and 0 or 0))
        end
        """
    ) % "\n".join(f"  reqs[{i + 1}] = {e}" for i, e in enumerate(entries))


def run_wrk(url: str, script: str) -> dict[str, float]:
    """Run wrk with `script`; returns requests/s, p50 and p99 latency (ms) and error count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", handle.name, url],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(handle.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            raise RuntimeError(f"cannot read p{label} from wrk:\n{out}")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "errors": float(errors.group(1)) if errors else 0.0}


def tree_rss_mib(pid: int) -> float:
    """Peak RSS of a process plus its direct children (uvicorn's worker processes)."""
    total = peak_rss_mib(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for cpid in child.read_text().split():
            total += peak_rss_mib(int(cpid))
    return total


def bench_sluice(tmp: Path, processes: int) -> list[dict[str, Any]]:
    """Sluice: 1,000 flows, then DescribeFlow and ListFlows under load."""
    server = SluiceServer(
        data_dir=tmp / f"sluice-{processes}", workers=0, extra_env={"SLUICE_PROCESSES": str(processes)}
    ).start()
    try:
        client = server.client()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: client.create_flow(**_flow(f"bench-flow-{i:04d}")), range(FLOWS)))
        base = {"Content-Type": "application/json"}
        describe = []
        for i in range(0, FLOWS, 10):
            body = {"flowName": f"bench-flow-{i:04d}"}
            describe.append(("/describe-flow", signed(server.url, "appflow", "/describe-flow", body, base),
                             json.dumps(body)))
        list_body = {"maxResults": 20}
        listing = [("/list-flows", signed(server.url, "appflow", "/list-flows", list_body, base),
                    json.dumps(list_body))]
        rows = []
        for name, reqs in (("DescribeFlow", describe), ("ListFlows (20 per page)", listing)):
            result = run_wrk(server.url, lua_script(reqs))
            label = f"sluice ({processes} process{'es' if processes > 1 else ''})"
            rows.append({"system": label, "call": name, **result})
        rss = tree_rss_mib(server.proc.pid)  # type: ignore[union-attr]
        for row in rows:
            row["rss"] = rss
        return rows
    finally:
        server.stop()


CEILING_APP = '''
import json
BODY = json.dumps({"flowName": "x", "flowStatus": "Active"}).encode()
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
'''


def _wait(url: str) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def bench_ceiling(tmp: Path) -> dict[str, Any]:
    """A bare uvicorn app: the ceiling of the server stack."""
    (tmp / "ceiling_app.py").write_text(CEILING_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], cwd=tmp,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        body = json.dumps({"flowName": "bench-flow-0001"})
        result = run_wrk(url, lua_script([("/describe-flow", {"Content-Type": "application/json"}, body)]))
        return {"system": "asgi-ceiling", "call": "fixed JSON", **result, "rss": peak_rss_mib(proc.pid)}
    finally:
        proc.terminate()
        proc.wait()


def bench_moto() -> dict[str, Any]:
    """moto server: EventBridge DescribeRule with 1,000 rules."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        events = boto3.client("events", endpoint_url=url, region_name=REGION,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        for i in range(FLOWS):
            events.put_rule(Name=f"bench-rule-{i:04d}", ScheduleExpression="rate(5 minutes)")
        reqs = []
        for i in range(0, FLOWS, 10):
            body = {"Name": f"bench-rule-{i:04d}"}
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.DescribeRule"}
            reqs.append(("/", signed(url, "events", "/", body, headers), json.dumps(body)))
        result = run_wrk(url, lua_script(reqs))
        return {"system": "moto", "call": "events DescribeRule", **result, "rss": peak_rss_mib(proc.pid)}
    finally:
        proc.terminate()
        proc.wait()


def main() -> str:
    """Run every scenario; return the Markdown table."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rows = bench_sluice(tmp, 1) + bench_sluice(tmp, 2)
        ceiling = bench_ceiling(tmp)
        moto = bench_moto()
    lines = [
        "| system | call | req/s | p50 ms | p99 ms | non-2xx | peak RSS MiB | req/s vs moto | req/s vs ceiling |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*rows, moto, ceiling]:
        lines.append(
            f"| {row['system']} | {row['call']} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} | "
            f"{row['errors']:.0f} | {row['rss']:.0f} | {row['rps'] / moto['rps']:.2f}x | "
            f"{row['rps'] / ceiling['rps']:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
