"""Start a real `sluice serve` process on a random loopback port (test support).

`SluiceServer` owns a temp data dir and a subprocess; `client()` returns a real, SigV4-signing
boto3 AppFlow client pointed at it. `kill()` is SIGKILL, for the restart tests.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.support.tls import tls_env

ACCESS_KEY = "AKIDSLUICETEST000001"
SECRET_KEY = "sluice-test-secret-key-0000000000000000"
REGION = "us-east-1"


CLOSED_ENDPOINT = "http://127.0.0.1:9"
# Lambda ARNs the control-plane tests register; each runs an offline SDK connector locally.
TEST_LAMBDA_ARNS = [
    "arn:aws:lambda:us-east-1:123456789012:function:sluice-test-connector",
    "arn:aws:lambda:us-east-1:123456789012:function:sluice-test-connector-v2",
    "arn:aws:lambda:us-east-1:123456789012:function:c",
    "arn:aws:lambda:us-east-1:123456789012:function:fuzz",
]
OFFLINE_HANDLER = f"{Path(__file__).resolve().parent.parent / 'fakes' / 'connectors' / 'offline.py'}:lambda_handler"
_links_file: Path | None = None


def test_connector_links() -> Path:
    """A links file (one per test process) binding TEST_LAMBDA_ARNS to tests/fakes/connectors/offline.py.

    For the default account only (whatever its id on each server): another account registering
    one of these ARNs gets the Lambda path, here the closed endpoint.
    """
    global _links_file
    if _links_file is None:
        folder = Path(tempfile.mkdtemp(prefix="sluice-links-"))
        _links_file = folder / "connector-links.json"
        _links_file.write_text(json.dumps({arn: {"default": OFFLINE_HANDLER} for arn in TEST_LAMBDA_ARNS}))
    return _links_file


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SluiceServer:
    """A `sluice serve` subprocess and what a test needs to talk to it."""

    data_dir: Path
    database_url: str | None = None
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    # False: no SLUICE_ACCESS_KEY_ID/SECRET, so the server generates the default account's keys
    # on first start and hands them over once (see `printed_keys`).
    fixed_keys: bool = True
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment the server (and `sluice` admin commands) run with."""
        env = dict(os.environ)
        env.update({
            "SLUICE_DATA_DIR": str(self.data_dir),
            "SLUICE_ACCESS_KEY_ID": ACCESS_KEY,
            "SLUICE_SECRET_ACCESS_KEY": SECRET_KEY,
            "SLUICE_LOG_LEVEL": "warning",
            # The vendor fakes listen on 127.0.0.1; the security suite's servers set "false".
            "SLUICE_ALLOW_PRIVATE_ENDPOINTS": "true",
        })
        # The SaaS fakes serve https with this test process's CA (tests/support/tls.py).
        env.update(tls_env())
        if not self.fixed_keys:
            env.pop("SLUICE_ACCESS_KEY_ID")
            env.pop("SLUICE_SECRET_ACCESS_KEY")
        if self.database_url:
            env["SLUICE_DATABASE_URL"] = self.database_url
        # A test's moto endpoint in this process must not leak into servers that did not ask for
        # it: S3 is the embedded local backend unless the test points the server at an endpoint.
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_GLUE"):
            env.pop(name, None)
        env["SLUICE_S3_BACKEND"] = "aws" if "AWS_ENDPOINT_URL_S3" in self.extra_env else "local"
        # Custom connectors: the test Lambda ARNs run an offline SDK connector locally, and any
        # other ARN meets a closed port at once rather than real AWS.
        env["SLUICE_CONNECTOR_LINKS"] = str(test_connector_links())
        env["AWS_ENDPOINT_URL_LAMBDA"] = CLOSED_ENDPOINT
        env.update(self.extra_env)
        return env

    def start(self) -> SluiceServer:
        """Start the process and wait until /health answers."""
        if not self.port:
            self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sluice.cli", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluice serve exited: {(self.data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("sluice serve did not become healthy in 60 s")

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL, no goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def log(self) -> str:
        """What the server printed."""
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def printed_keys(self) -> list[dict[str, str]]:
        """Every set of keys the server handed over, oldest first (name -> value).

        The server's stdout is a log file, not a terminal, so it writes the `export` lines to a
        keys file and logs the file's path: one set per path the log names.
        """
        blocks: list[dict[str, str]] = []
        for match in re.finditer(r"Its keys are in (\S+) ", self.log()):
            block: dict[str, str] = {}
            for line in Path(match.group(1)).read_text().splitlines():
                name, _, value = line.removeprefix("export ").partition("=")
                if line.startswith("export ") and value:
                    block[name] = value
            blocks.append(block)
        return blocks

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, region: str = REGION) -> Any:
        """A real boto3 AppFlow client (SigV4) for this server."""
        return boto3.client(
            "appflow",
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a `sluice` admin command against this server's data dir / database."""
        return subprocess.run(
            [sys.executable, "-m", "sluice.cli", *args], env=self.env(), capture_output=True, text=True, check=False
        )
