"""The child side of a local connector worker: `python -m sluice.connectors.custom_connector.local_worker <target>`.

Loads one Lambda handler (`package.module:function` or `/path/file.py:function`) and serves
requests framed as `worker_process.py` describes, one at a time, until stdin closes. It plays the
Lambda Python runtime's part: a `context` object, the handler's exceptions reported as
`{errorType, errorMessage, stackTrace}`, logging configured, and a memory cap
(`RLIMIT_AS` = `$SLUICE_WORKER_MEMORY_MB`), so a MemoryError is an error answer, not a dead server.

Imports only the standard library (plus its package's light `__init__`): a worker must start
fast and must not drag the server in.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

_HEADER = 4


class LambdaContext:
    """The attributes and method of the Lambda runtime's context object that handlers use."""

    def __init__(self, function_name: str, request_id: str, timeout_ms: int, memory_mb: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("AWS_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "sluice-local"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the server gives up on this call."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(target: str) -> Callable[[Any, Any], Any]:
    """The function `target` names; a file target's folder goes on sys.path, as Lambda's task root does."""
    location, _, attribute = target.rpartition(":")
    if location.endswith(".py"):
        path = Path(location)
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    handler: Any = module
    for part in attribute.split("."):
        handler = getattr(handler, part)
    if not callable(handler):
        raise TypeError(f"{target} is not callable")
    return handler


def _json_default(value: Any) -> Any:
    # The SDK's Oauth2CustomParameter.to_dict() leaves an enum member in its output; the Lambda
    # runtime would refuse to marshal it, but its name is what was meant.
    if isinstance(value, enum.Enum):
        return value.name
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException) -> dict[str, Any]:
    """Lambda's error payload, plus the innermost cause: the SDK's base handler hides it."""
    error: dict[str, Any] = {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }
    inner, seen = exc, {id(exc)}
    while True:
        nxt = inner.__cause__ or inner.__context__
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        inner = nxt
    if inner is not exc:
        error["cause"] = f"{type(inner).__name__}: {inner}"
    return error


class Channel:
    """Length-prefixed JSON frames over two private file descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd

    def receive(self) -> dict[str, Any] | None:
        """The next request, or None at end of input (the server closed the pipe)."""
        header = self._read(_HEADER)
        if header is None:
            return None
        body = self._read(int.from_bytes(header, "big"))
        if body is None:
            return None
        message: dict[str, Any] = json.loads(body)
        return message

    def send(self, message: dict[str, Any]) -> None:
        """Write one frame."""
        data = json.dumps(message, separators=(",", ":"), default=_json_default).encode()
        frame = memoryview(len(data).to_bytes(_HEADER, "big") + data)
        while frame:
            frame = frame[os.write(self.write_fd, frame) :]

    def _read(self, size: int) -> bytes | None:
        chunks: list[bytes] = []
        missing = size
        while missing:
            chunk = os.read(self.read_fd, min(missing, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)


def _take_over_stdio() -> Channel:
    """Keep fds 0/1 for the protocol on private descriptors; the handler's stdout goes to stderr.

    Done at the descriptor level, so C extensions and subprocesses that write to fd 1 cannot
    corrupt the channel either, and a handler reading stdin reads nothing.
    """
    channel = Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space, so a runaway handler raises MemoryError instead of swapping the host."""
    if memory_mb <= 0:
        return
    try:
        import resource
    except ImportError:  # not on POSIX: no cap
        return
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _watch_parent() -> None:
    """Exit when the server goes away without closing our stdin (killed), even mid-call."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(target: str) -> int:
    """Load the handler and answer requests until the server closes the channel."""
    channel = _take_over_stdio()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="[%(levelname)s] %(name)s: %(message)s")
    memory = os.environ.get("SLUICE_WORKER_MEMORY_MB", "1024")
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or target.rpartition(":")[2]
    _watch_parent()
    _limit_memory(int(memory))
    try:
        handler = load_handler(target)
    except BaseException as exc:
        error = _error(exc)
        error["errorType"] = "Runtime.ImportModuleError"
        error["errorMessage"] = f"Unable to import {target}: {type(exc).__name__}: {exc}"
        channel.send({"error": error})
        return 1
    channel.send({"ready": True, "pid": os.getpid()})
    while True:
        request = channel.receive()
        if request is None:
            return 0
        context = LambdaContext(function_name, request.get("requestId", ""), request.get("timeoutMs", 60_000), memory)
        try:
            answer: dict[str, Any] = {"ok": handler(request.get("event"), context)}
        except BaseException as exc:  # SystemExit too: Lambda reports it rather than dying quietly
            answer = {"error": _error(exc)}
        del request
        try:
            channel.send(answer)
        except (TypeError, ValueError) as exc:
            channel.send(
                {
                    "error": {
                        "errorType": "Runtime.MarshalError",
                        "errorMessage": f"Unable to marshal response: {exc}",
                        "stackTrace": [],
                    }
                }
            )
        except MemoryError:
            channel.send(
                {
                    "error": {
                        "errorType": "MemoryError",
                        "errorMessage": "the answer does not fit in the memory limit",
                        "stackTrace": [],
                    }
                }
            )


def main(argv: list[str] | None = None) -> int:
    """Entry point: `local_worker <target>`."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--probe"]:  # the server checking that this interpreter and user can run workers
        print(f"{sys.version_info[0]}.{sys.version_info[1]}")
        return 0
    if len(args) != 1:
        print("usage: python -m sluice.connectors.custom_connector.local_worker <module:function|file.py:function>")
        return 2
    return serve(args[0])


if __name__ == "__main__":
    sys.exit(main())
