"""A Ray cluster of node processes on 127.0.0.1 that a test starts and stops itself (test support).

`RayCluster(root).start_head()` runs `ray start --head --block`, `add_node()` one more node
(`ray start --address ... --block`), each with its own `--num-cpus`, temp dir and ports, in its
own session (its raylet, object store, agents and workers are in it too; Ray's workers take
process groups of their own, so a node is found by session). `kill(node)` SIGKILLs every process
of one node, as a machine dying would; `stop()` ends only the nodes this object started, never a
global `ray stop` (other tests or people may run clusters on the same machine).

Token authentication is on with a token of the test's own (`env()`): Ray 2.60 turns it on for a
head that finds ~/.ray/auth_token, and every process of one cluster must agree.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.server import free_port

RAY = str(Path(sys.executable).with_name("ray"))
STARTED = "Ray runtime started"
# Small object stores: a test's split results are a few MiB.
OBJECT_STORE_BYTES = 128 * 1024 * 1024


@dataclass
class RayNode:
    """One `ray start --block` process group."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    # pid -> start time of every process seen in the node's session while its leader lived.
    # Once the leader is reaped its pid can be reused (pid_max is 32768 here) by another
    # session leader - a PostgreSQL postmaster, say - so a session scan is trusted only
    # while the leader is alive, and a remembered pid only while its start time matches.
    known: dict[int, int] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def pids(self) -> list[int]:
        """Every live process of the node (the session its `ray start` leads, while it lives)."""
        if self.proc.returncode is None and _start_time(self.proc.pid) is not None:
            for pid in session_pids(self.proc.pid):
                started = _start_time(pid)
                if started is not None:
                    self.known[pid] = started
        return [pid for pid, started in self.known.items() if _start_time(pid) == started]

    def signal_all(self, number: int) -> None:
        """Send `number` to every process of the node, never to a process that reused a pid."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


def session_pids(session: int) -> list[int]:
    """The processes whose session id is `session` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # exited while we looked
                continue
            if int(stat[stat.rindex(")") + 2:].split()[3]) == session:  # field 6: session id
                found.append(int(entry.name))
    return found


@dataclass
class RayCluster:
    """Node processes of one cluster, and the environment its drivers need."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sr-", dir="/tmp")))
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    port: int = 0
    nodes: list[RayNode] = field(default_factory=list)
    node_env: dict[str, str] = field(default_factory=dict)  # more environment for the nodes (their workers)

    @property
    def address(self) -> str:
        """The head's GCS address (`SLUICE_RAY_ADDRESS`)."""
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What every process of the cluster, and every driver (the Sluice server), runs with."""
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token, "RAY_USAGE_STATS_ENABLED": "0"}

    def _start_once(self, name: str, args: list[str], num_cpus: int) -> RayNode:
        # Unix socket paths must stay short (~100 bytes): each node's temp dir is a short one.
        temp_dir = self.root / name
        temp_dir.mkdir(parents=True)
        ports = ["--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
                 "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port"]
        command = [RAY, "start", "--block", *args, "--num-cpus", str(num_cpus), "--node-ip-address", "127.0.0.1",
                   "--temp-dir", str(temp_dir), "--object-store-memory", str(OBJECT_STORE_BYTES),
                   "--disable-usage-stats"]
        chosen: set[int] = set()
        while len(chosen) < len(ports):  # free_port may answer the same port twice
            chosen.add(free_port())
        for option, port in zip(ports, sorted(chosen), strict=True):
            command += [option, str(port)]
        log = self.root / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, env={**os.environ, **self.node_env, **self.env()}, stdout=out,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
        node = RayNode(name, proc, log)
        self.nodes.append(node)
        deadline = time.time() + 120
        while STARTED not in node.output():
            node.pids()  # remember the node's processes while its leader certainly lives
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"ray node {name} did not start: {node.output()[-3000:]}")
            time.sleep(0.2)
        return node

    def start_head(self, num_cpus: int = 1) -> RayNode:
        """The head node (GCS on 127.0.0.1:`port`), no dashboard."""

        def head() -> RayNode:
            self.port = free_port()
            return self._start_once("head", ["--head", "--port", str(self.port), "--include-dashboard=false"],
                                    num_cpus)

        return self._twice(head)

    def add_node(self, num_cpus: int = 1) -> RayNode:
        """One more node joining the head."""
        name = f"node{len(self.nodes)}"
        return self._twice(lambda: self._start_once(name, ["--address", self.address], num_cpus))

    def _twice(self, start: Callable[[], RayNode]) -> RayNode:
        """`start()`, and once more with fresh ports if it fails: a port taken between `free_port`
        and Ray's bind is a race of the machine, not of the code under test."""
        try:
            return start()
        except RuntimeError:
            failed = self.nodes.pop()
            failed.signal_all(signal.SIGKILL)  # only processes seen while its leader lived
            failed.proc.wait()
            shutil.rmtree(self.root / failed.name, ignore_errors=True)
            failed.log.rename(failed.log.with_suffix(".failed.log"))
            return start()

    def kill(self, node: RayNode) -> None:
        """SIGKILL every process of the node: raylet, object store, workers, agents."""
        node.signal_all(signal.SIGKILL)
        node.proc.wait()

    def stop(self) -> None:
        """End every node this cluster started (newest first), then remove its files."""
        for node in reversed(self.nodes):
            node.pids()  # remember them while the leader's session is surely the node's
            if node.proc.poll() is None:
                node.proc.terminate()  # `ray start --block` stops its node's processes
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.proc.wait(timeout=20)
            node.signal_all(signal.SIGKILL)  # whatever outlived it
            if node.proc.poll() is None:
                node.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
