"""The execution environment of one fake Lambda function: a long-lived child process.

Run as a script (`python runtime.py '<spec json>'`), never imported by the server. Like Lambda's
Python runtime it imports the handler once (init), then serves invocations one at a time. It
speaks JSON lines over its original stdout: first `{"ready": true}` (or the init error), then one
answer per request line `{"requestId", "event", "deadlineMs"}`. The handler's own prints and
logging go to a per-invocation log buffer returned with the answer (the server keeps it for
`X-Amz-Log-Result`); fd 1 is pointed at stderr so stray output cannot corrupt the protocol.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The `context` argument handlers receive (the attributes of Lambda's Python runtime)."""

    def __init__(self, spec: dict[str, Any], request_id: str, deadline_ms: int) -> None:
        self.function_name = spec["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["arn"]
        self.memory_limit_in_mb = str(spec.get("memory", 128))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec['name']}"
        self.log_stream_name = f"fake/[$LATEST]{os.getpid()}"
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _Capture(io.TextIOBase):
    """A text stream whose target (the current invocation's buffer) can be swapped."""

    def __init__(self) -> None:
        self.buffer_io = io.StringIO()

    def write(self, s: str) -> int:
        return self.buffer_io.write(s)

    def reset(self) -> str:
        text = self.buffer_io.getvalue()
        self.buffer_io = io.StringIO()
        return text


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def error_body(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    """Lambda's error document for an exception raised by (or while loading) the handler."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": [line for line in traceback.format_list(frames)],
    }


def load_handler(spec: dict[str, Any]) -> Any:
    """Import `module:function` or `/path/file.py:function`, with the code's folder on sys.path."""
    target, _, func_name = spec["handler"].rpartition(":")
    if not target or not func_name:
        raise ValueError(f"Bad handler '{spec['handler']}': expected module:function or /path/file.py:function")
    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    if target.endswith(".py"):
        folder, file_name = os.path.split(os.path.abspath(target))
        if folder not in sys.path:
            sys.path.insert(0, folder)
        module_name = file_name[:-3]
        module_spec = importlib.util.spec_from_file_location(module_name, os.path.join(folder, file_name))
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"No module named '{module_name}'")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
    else:
        module_name = target
        module = importlib.import_module(target)
    handler = getattr(module, func_name, None)
    if handler is None:
        raise AttributeError(f"Handler '{func_name}' missing on module '{module_name}'")
    return handler


def main() -> None:
    """Init, then serve invocations until stdin closes."""
    spec = json.loads(sys.argv[1])
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    capture = _Capture()
    sys.stdout = capture  # type: ignore[assignment]
    sys.stderr = capture  # type: ignore[assignment]
    request_filter = _RequestIdFilter()
    log_handler = logging.StreamHandler(capture)
    log_handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t"
                                               "%(message)s", "%Y-%m-%dT%H:%M:%S"))
    log_handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    log_handler.addFilter(request_filter)
    logging.getLogger().addHandler(log_handler)
    logging.getLogger().setLevel(logging.WARNING)

    init_error: dict[str, Any] | None = None
    handler = None
    try:
        handler = load_handler(spec)
    except ImportError as exc:
        module = spec["handler"].rpartition(":")[0]
        init_error = error_body(exc, "Runtime.ImportModuleError", f"Unable to import module '{module}': {exc}")
    except AttributeError as exc:
        init_error = error_body(exc, "Runtime.HandlerNotFound", str(exc))
    except Exception as exc:
        init_error = error_body(exc)
    proto_out.write(json.dumps({"ready": True, "initLog": capture.reset()}) + "\n")
    proto_out.flush()

    for line in sys.stdin:
        request = json.loads(line)
        request_filter.request_id = request["requestId"]
        answer: dict[str, Any]
        if init_error is not None:
            answer = {"error": init_error}
        else:
            context = LambdaContext(spec, request["requestId"], request["deadlineMs"])
            try:
                result = handler(request["event"], context)  # type: ignore[misc]
            except Exception as exc:
                traceback.print_exc()
                answer = {"error": error_body(exc)}
            else:
                try:
                    answer = {"payload": json.dumps(result)}
                except (TypeError, ValueError) as exc:
                    answer = {"error": {"errorMessage": f"Unable to marshal response: {exc}",
                                        "errorType": "Runtime.MarshalError", "stackTrace": []}}
        answer["log"] = capture.reset()
        proto_out.write(json.dumps(answer) + "\n")
        proto_out.flush()


if __name__ == "__main__":
    main()
