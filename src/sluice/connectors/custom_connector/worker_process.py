"""The server side of one local connector worker process (see `local_worker.py` for the child).

Protocol, over the child's stdin/stdout (the child moves its own stdout to stderr first, so
nothing the handler prints can reach the channel): every frame is a 4-byte big-endian length and
that many bytes of UTF-8 JSON.

* child -> server, once: `{"ready": true}`, or `{"error": {...}}` when the handler cannot be loaded.
* server -> child, per call: `{"requestId": str, "timeoutMs": int, "event": <SDK request>}`.
* child -> server, per call: `{"ok": <handler answer>}` or
  `{"error": {"errorType", "errorMessage", "stackTrace", "cause"?}}`.

Reads wait with `select` against the call's deadline; a worker that misses it is killed
(SIGKILL to its process group) and never reused. The child's stderr goes to the server log at
debug level; its last lines explain a crash. What the child may see (its user, environment and
working directory) is `sandbox.py`'s business.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import sandbox

log = logging.getLogger("sluice.connectors.custom_connector")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$")

_HEADER = 4
_MAX_FRAME = 1 << 30  # anything larger means the channel is out of step
_STDERR_TAIL = 20


def _python_path(target: str) -> str:
    """Where the child imports from: Sluice's source tree, the server's PYTHONPATH, its working directory."""
    parts: list[str] = []
    # A source tree the server imports Sluice from without an install: the child needs it too.
    # (Never site-packages: ahead of the standard library it could shadow stdlib modules.)
    src = str(Path(__file__).resolve().parents[3])
    if src not in {str(Path(p).resolve()) for p in sys.path if p}:
        parts.append(src)
    parts += [p for p in (os.environ.get("PYTHONPATH") or "").split(os.pathsep) if p]
    if not target.rpartition(":")[0].endswith(".py"):
        # The child runs in an empty directory of its own; a module target still resolves as it
        # would from the server's working directory.
        parts.append(os.getcwd())
    return os.pathsep.join(dict.fromkeys(parts))


def _widen(pipe: Any) -> None:
    """Raise a pipe's buffer from 64 KiB to 1 MiB (Linux): a page crosses in fewer context switches."""
    set_pipe_size = getattr(fcntl, "F_SETPIPE_SZ", 1031)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fcntl.fcntl(pipe.fileno(), set_pipe_size, 1 << 20)


class StaleWorker(Exception):
    """The worker died while idle; the request was not delivered, so another worker may take it."""


def function_error(name: str, error: Any) -> ConnectorError:
    """The ConnectorError for a handler that raised (a Lambda `FunctionError` payload).

    The caller learns only that the function failed and its error type: a function's message
    and stack can carry anything (a credential, a vendor's internals, another account's data), so
    they go to the server log at debug level only.
    """
    if not isinstance(error, Mapping):
        return ConnectorError("ServerError", f"The connector's Lambda function {name} failed without saying why")
    kind = str(error.get("errorType") or "Error")
    message = str(error.get("errorMessage") or "")
    log.debug("connector %s failed: %s: %s (cause: %s)", name, kind, message, error.get("cause"))
    if "Task timed out after" in message:  # Lambda's own timeout, reported as a function error
        return ConnectorError("ConnectorTimeout", f"The connector's Lambda function {name} did not answer in time")
    if not _IDENTIFIER.match(kind):  # the type is echoed: a name, never free text
        kind = "Error"
    return ConnectorError("ServerError", f"The connector's Lambda function {name} failed: {kind}")


class WorkerProcess:
    """One child process running one handler; one call at a time (the pool guarantees it)."""

    def __init__(self, target: str, env: Mapping[str, str], memory_mb: int, name: str) -> None:
        self.target = target
        self.env = env
        self.memory_mb = memory_mb
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL)
        self._stderr_thread: threading.Thread | None = None
        self.generation = 0  # the pool's close() count when this worker started
        self.last_used = time.monotonic()
        self.scratch: str | None = None  # the child's own working directory

    @property
    def alive(self) -> bool:
        """True while the child runs."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float) -> None:
        """Spawn the child and wait until it has loaded the handler."""
        env = sandbox.base_environment()
        env["PYTHONPATH"] = _python_path(self.target)
        plan = sandbox.launch_plan(env)
        location = self.target.rpartition(":")[0]
        if plan.identity is not None and location.endswith(".py") \
                and not sandbox.readable_by(Path(location), plan.identity):
            log.warning("the connector %s handler %s is not readable by user %s: its worker runs as the "
                        "server's user", self.name, location, plan.identity.name)
            plan = sandbox.unconfined()
        self.scratch = sandbox.make_scratch_dir(plan.identity)
        env.update(self.env)
        for name in ("HOME", "TMPDIR", "TMP", "TEMP"):
            env[name] = self.scratch
        if plan.site_dirs:
            env[sandbox.SITE_DIRS_VARIABLE] = plan.site_dirs
        # Lambda-sized native thread pools and few malloc arenas: under RLIMIT_AS every thread's
        # reserved (not used) memory counts, and on a many-core host OpenBLAS alone would reserve
        # gigabytes at import. Lambda gives one vCPU per 1,769 MB.
        threads = str(max(1, min(6, -(-self.memory_mb // 1769))))
        for key, value in (("OPENBLAS_NUM_THREADS", threads), ("OMP_NUM_THREADS", threads), ("MALLOC_ARENA_MAX", "2")):
            env.setdefault(key, value)
        env["PYTHONUNBUFFERED"] = "1"  # handler prints reach the log as they happen
        env["SLUICE_WORKER_MEMORY_MB"] = str(self.memory_mb)
        env.setdefault("AWS_LAMBDA_FUNCTION_NAME", self.name)
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(self.memory_mb)
        try:
            self.proc = self._spawn(plan, env)
        except OSError as exc:
            sandbox.remove_scratch_dir(self.scratch)
            raise ConnectorError("ServerError", f"the connector {self.name} could not start: {exc}") from exc
        for pipe in (self.proc.stdin, self.proc.stdout):
            _widen(pipe)
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr, name=f"connector-{self.name}-stderr", daemon=True
        )
        self._stderr_thread.start()
        try:
            first = self._read_frame(time.monotonic() + timeout)
        except TimeoutError as exc:
            self.stop(kill=True)
            raise ConnectorError(
                "ConnectorTimeout", f"the connector {self.name} did not start within {timeout:g} s"
            ) from exc
        except EOFError as exc:
            raise self._crash_error("while starting") from exc
        if first.get("ready") is not True:
            self.stop(kill=True)
            raise function_error(self.name, first.get("error"))

    def _spawn(self, plan: sandbox.Launch, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*plan.command, self.target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=self.scratch,
            close_fds=True,  # nothing of the server's (database, sockets) but the three pipes
            user=sandbox.uid(plan.identity),
            group=sandbox.gid(plan.identity),
            extra_groups=sandbox.groups(plan.identity),
            # Own process group: a Ctrl-C at the server's terminal does not kill a call midway, and
            # a timeout kills whatever the handler spawned along with it.
            start_new_session=True,
        )

    def call(self, payload: bytes, timeout: float) -> dict[str, Any]:
        """Send one request (`payload`: the event as JSON) and wait up to `timeout` for the answer."""
        request_id = str(uuid.uuid4())
        body = b'{"requestId":"%s","timeoutMs":%d,"event":%s}' % (
            request_id.encode(),
            int(timeout * 1000),
            payload,
        )
        try:
            self._write(len(body).to_bytes(_HEADER, "big") + body)
        except (BrokenPipeError, ConnectionResetError, ValueError) as exc:
            self.stop(kill=True)
            raise StaleWorker(self.name) from exc
        try:
            answer = self._read_frame(time.monotonic() + timeout)
        except TimeoutError as exc:
            self.stop(kill=True)
            raise ConnectorError(
                "ConnectorTimeout", f"the connector {self.name} did not answer within {timeout:g} s"
            ) from exc
        except EOFError as exc:
            raise self._crash_error("during the call") from exc
        if "ok" in answer:
            result = answer["ok"]
            if not isinstance(result, dict):
                raise ConnectorError(
                    "ServerError", f"the connector {self.name} answered something that is not a JSON object"
                )
            return result
        raise function_error(self.name, answer.get("error"))

    def stop(self, kill: bool = False) -> None:
        """End the child: politely (EOF on its stdin) unless `kill`, then SIGKILL if it lingers."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            if not kill:
                try:
                    assert proc.stdin is not None
                    proc.stdin.close()
                    proc.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    kill = True
            if kill or proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
                proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=1)
        if self.scratch is not None:
            sandbox.remove_scratch_dir(self.scratch)
            self.scratch = None

    # -- the channel -------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def _read_frame(self, deadline: float) -> dict[str, Any]:
        """The next frame, parsed; TimeoutError past `deadline`, EOFError when the child is gone."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        size = int.from_bytes(self._read_exact(fd, _HEADER, deadline), "big")
        if size > _MAX_FRAME:
            self.stop(kill=True)
            raise ConnectorError("ServerError", f"the connector {self.name} worker broke the protocol")
        try:
            frame = json.loads(self._read_exact(fd, size, deadline))
        except ValueError as exc:
            self.stop(kill=True)
            raise ConnectorError("ServerError", f"the connector {self.name} worker broke the protocol") from exc
        if not isinstance(frame, dict):
            self.stop(kill=True)
            raise ConnectorError("ServerError", f"the connector {self.name} worker broke the protocol")
        return frame

    @staticmethod
    def _read_exact(fd: int, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _crash_error(self, when: str) -> ConnectorError:
        """The ServerError for a child that went away: its exit status and last words."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stop(kill=True)
        if code is None:
            status = "closed its channel"
        elif code < 0:
            sig = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            status = f"was killed by {sig}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
        else:
            status = f"exited with code {code}"
        message = f"the connector {self.name} crashed {when}: its worker {status}"
        tail = [line for line in self._tail if line.strip()][-5:]
        if tail:
            message += "; last output: " + " | ".join(tail)[-1000:]
        return ConnectorError("ServerError", message)

    def _drain_stderr(self) -> None:
        """Forward the child's stderr (handler prints and logs) to the server log, keep a tail."""
        proc = self.proc
        if proc is None or proc.stderr is None:
            return
        pid = proc.pid
        with proc.stderr:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                self._tail.append(line)
                log.debug("[%s %d] %s", self.name, pid, line)
