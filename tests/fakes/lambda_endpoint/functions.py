"""Registered fake Lambda functions and their execution environments (one child process each).

A `Function` keeps a pool of idle `Environment`s; an invocation takes one (starting a new one,
up to the function's concurrency, when all are busy), sends it the event and waits at most the
function's timeout. An environment whose process exits or overruns is killed and dropped, so the
next invocation gets a fresh one - as Lambda replaces a crashed or timed-out sandbox.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RUNTIME = str(Path(__file__).with_name("runtime.py"))
INIT_TIMEOUT = 10.0
# Variables kept from the parent environment so the interpreter and locale work.
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


@dataclass
class Outcome:
    """What one invocation produced: a JSON payload or a Lambda error document, plus its log."""

    request_id: str
    payload: bytes
    function_error: str | None
    log: str
    duration_ms: float


class Environment:
    """One execution environment: a `runtime.py` child process serving invocations serially."""

    def __init__(self, function: Function) -> None:
        self.function = function
        spec = {"name": function.name, "arn": function.arn, "handler": function.handler,
                "memory": function.memory, "sys_path": function.sys_path}
        env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "LAMBDA_TASK_ROOT": function.task_root,
            "_HANDLER": function.handler,
            "PYTHONUNBUFFERED": "1",
        })
        env.update(function.env)
        self.proc = subprocess.Popen(
            [sys.executable, RUNTIME, json.dumps(spec)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=None, env=env, cwd=function.task_root, text=True, encoding="utf-8", bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name=f"lambda-env-{function.name}").start()
        self.init_log = ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                self.lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self.lines.put(None)
            self.proc.stdout.close()

    def wait_ready(self, timeout: float) -> dict[str, Any] | None:
        """None when init finished; else the error document (the process is then killed)."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            return {"errorType": "Runtime.InitTimeout", "errorMessage": f"Init timed out after {timeout:.2f} seconds"}
        if line is None:
            return {"errorType": "Runtime.ExitError",
                    "errorMessage": f"Runtime exited during init with error: exit status {self.proc.wait()}"}
        self.init_log = json.loads(line).get("initLog", "")
        return None

    def invoke(self, event: Any, request_id: str, timeout: float) -> tuple[dict[str, Any], bool]:
        """(answer, healthy): the runtime's answer, or an error answer when it crashed/timed out."""
        deadline_ms = int((time.time() + timeout) * 1000)
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"requestId": request_id, "event": event, "deadlineMs": deadline_ms})
                                  + "\n")
            self.proc.stdin.flush()
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            return {"error": {"errorType": "Sandbox.Timedout", "errorMessage": message}, "log": ""}, False
        except (BrokenPipeError, OSError):
            line = None
        if line is None:
            status = self.proc.wait()
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}"
            return {"error": {"errorType": "Runtime.ExitError", "errorMessage": message}, "log": ""}, False
        return json.loads(line), True

    def kill(self) -> None:
        """Stop the process now (SIGKILL) and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass


@dataclass
class Function:
    """A registered function: handler spec, environment variables, timeout, and its environments."""

    name: str
    handler: str
    arn: str
    region: str
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 30
    memory: int = 128
    concurrency: int = 10
    code_dir: str | None = None
    qualifiers: tuple[str, ...] = ()
    response_limit: int = 6 * 1024 * 1024
    sys_path: list[str] = field(default_factory=list)
    invocations: int = 0
    throttles_pending: int = 0
    service_errors_pending: int = 0
    logs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._idle: list[Environment] = []
        self._live: set[Environment] = set()
        self._busy = 0
        self._lock = threading.Lock()
        target = self.handler.rpartition(":")[0]
        if target.endswith(".py"):
            self.task_root = self.code_dir or str(Path(target).resolve().parent)
            self.handler = f"{Path(target).resolve()}:{self.handler.rpartition(':')[2]}"
        else:
            self.task_root = self.code_dir or os.getcwd()
            # Module handlers import from the code folder, then from what the test process can import.
            self.sys_path = [self.task_root, *[p or os.getcwd() for p in sys.path]]

    def acquire(self) -> tuple[Environment | None, dict[str, Any] | None]:
        """An idle or new environment; (None, None) when at the concurrency limit; (None, error) on init failure."""
        with self._lock:
            while self._idle:
                env = self._idle.pop()
                if env.proc.poll() is None:
                    self._busy += 1
                    return env, None
                self._live.discard(env)
                env.kill()
            if self._busy >= self.concurrency:
                return None, None
            self._busy += 1
        env = Environment(self)
        with self._lock:
            self._live.add(env)
        error = env.wait_ready(max(INIT_TIMEOUT, self.timeout))
        if error is not None:
            self.release(env, healthy=False)
            return None, error
        return env, None

    def release(self, env: Environment, healthy: bool) -> None:
        """Return an environment to the pool, or drop it when it crashed or timed out."""
        with self._lock:
            self._busy -= 1
            if healthy and env.proc.poll() is None:
                self._idle.append(env)
                return
            self._live.discard(env)
        env.kill()

    def invoke(self, event: Any) -> Outcome | None:
        """Run the handler once; None when every environment is busy (the caller throttles)."""
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        env, error = self.acquire()
        if env is None and error is None:
            return None
        with self._lock:
            self.invocations += 1
        answer: dict[str, Any]
        if env is None:
            answer = {"error": error, "log": ""}
        else:
            answer, healthy = env.invoke(event, request_id, self.timeout)
            self.release(env, healthy)
        duration = (time.monotonic() - started) * 1000
        payload = answer.get("payload")
        function_error = None
        if "error" in answer:
            payload, function_error = json.dumps(answer["error"]), "Unhandled"
        elif payload is not None and len(payload.encode()) > self.response_limit:
            payload, function_error = json.dumps({
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({self.response_limit}"
                                " bytes).",
            }), "Unhandled"
        log = self._format_log(request_id, answer.get("log", ""), duration, answer.get("error"))
        with self._lock:
            self.logs.append(log)
            del self.logs[:-50]
        return Outcome(request_id, (payload or "null").encode(), function_error, log, duration)

    def _format_log(self, request_id: str, body: str, duration: float, error: dict[str, Any] | None) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if error and error.get("errorType") in ("Sandbox.Timedout", "Runtime.ExitError"):
            body += f"{stamp} {error['errorMessage']}\n"
        return (f"START RequestId: {request_id} Version: $LATEST\n{body}END RequestId: {request_id}\n"
                f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms"
                f"\tMemory Size: {self.memory} MB\tMax Memory Used: {min(self.memory, 40)} MB\t\n")

    def shutdown(self) -> None:
        """Kill every environment; an invocation still running gets a Runtime.ExitError answer."""
        with self._lock:
            live, self._idle = list(self._live), []
            self._live.clear()
        for env in live:
            env.kill()
