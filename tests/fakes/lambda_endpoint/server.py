"""A fake AWS Lambda endpoint over HTTP: the Invoke API (2015-03-31) plus GetFunction.

`POST /2015-03-31/functions/{FunctionName}/invocations` behaves as AWS documents it:
FunctionName is a name, `name:qualifier`, a partial ARN or a full ARN (URL-encoded), `Qualifier`
may also come as a query parameter; `X-Amz-Invocation-Type` RequestResponse (200), Event (202,
runs in the background) or DryRun (204); `X-Amz-Log-Type: Tail` returns the last 4 KB of the
invocation's log base64-encoded in `X-Amz-Log-Result`. Handler errors, crashes and timeouts are
200 responses with `X-Amz-Function-Error: Unhandled` and Lambda's error document; unknown
functions are 404 `ResourceNotFoundException`; injected throttles (and a function at its
concurrency limit) are 429 `TooManyRequestsException` with `Retry-After`; injected service
errors are 500 `ServiceException` (Lambda's "internal service error").

Extra, for out-of-process use: `POST /__control/functions` (register: name, handler, env,
timeout), `POST /__control/throttle` ({"name", "count"}), `GET /__control/invocations`.
Independent of Sluice: only the standard library.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .functions import Function

ACCOUNT = "123456789012"
REGION = "us-east-1"
LOG_TAIL_BYTES = 4096
REQUEST_LIMIT = 6 * 1024 * 1024
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
ARN = re.compile(r"^(?:arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):function:)?"
                 r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$")


class FakeLambda:
    """Registered functions served over HTTP on 127.0.0.1; use start()/stop() or a `with` block."""

    def __init__(self, port: int = 0, region: str = REGION, account: str = ACCOUNT) -> None:
        self.region = region
        self.account = account
        self.functions: dict[str, Function] = {}
        self.throttled: dict[str, int] = {}
        self.retry_after = 1
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def arn(self, name: str) -> str:
        """The function's unqualified ARN."""
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def add_function(self, name: str, handler: str, env: dict[str, str] | None = None, timeout: float = 30,
                     memory: int = 128, concurrency: int = 10, code_dir: str | None = None,
                     qualifiers: tuple[str, ...] = (), response_limit: int = 6 * 1024 * 1024) -> str:
        """Register (or replace) a function; returns its ARN.

        `handler` is `package.module:function` (imported with `code_dir`, default the current
        directory, then the test process's sys.path, on sys.path) or `/path/file.py:function` (the
        file's folder on sys.path, as a Lambda deployment package's root). `env` is the function's
        whole environment besides Lambda's own variables; `qualifiers` are accepted versions/aliases
        besides `$LATEST`.
        """
        function = Function(name=name, handler=handler, arn=self.arn(name), region=self.region, env=dict(env or {}),
                            timeout=timeout, memory=memory, concurrency=concurrency, code_dir=code_dir,
                            qualifiers=tuple(qualifiers), response_limit=response_limit)
        with self._lock:
            old = self.functions.pop(name, None)
            self.functions[name] = function
        if old is not None:
            old.shutdown()
        return function.arn

    def remove_function(self, name: str) -> None:
        """Unregister a function and stop its environments."""
        with self._lock:
            function = self.functions.pop(name, None)
        if function is not None:
            function.shutdown()

    def throttle(self, name: str, count: int = 1) -> None:
        """Answer the next `count` invocations of `name` with 429 TooManyRequestsException."""
        self.functions[name].throttles_pending += count

    def fail_service(self, name: str, count: int = 1) -> None:
        """Answer the next `count` invocations of `name` with 500 ServiceException."""
        self.functions[name].service_errors_pending += count

    @property
    def invocations(self) -> dict[str, int]:
        """Invocations that reached each function's handler (throttled requests excluded)."""
        return {name: f.invocations for name, f in self.functions.items()}

    def logs(self, name: str) -> list[str]:
        """The function's recent invocation logs (START ... REPORT), oldest first."""
        return list(self.functions[name].logs)

    def start(self) -> FakeLambda:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-lambda-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and kill every execution environment."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for function in list(self.functions.values()):
            function.shutdown()

    def __enter__(self) -> FakeLambda:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resolve(self, raw_name: str, qualifier: str | None) -> tuple[Function | None, str, str]:
        """(function or None, executed version, ARN named in errors) for a FunctionName path segment."""
        match = ARN.match(raw_name)
        name = match.group("name") if match else raw_name
        qualifier = qualifier or (match.group("qualifier") if match else None)
        arn = self.arn(name) + (f":{qualifier}" if qualifier else "")
        function = self.functions.get(name)
        if match is None or function is None:
            return None, "", arn
        if (match.group("region") or self.region) != self.region or (match.group("account") or self.account) != \
                self.account:
            return None, "", arn
        if qualifier in (None, "$LATEST"):
            return function, "$LATEST", arn
        if qualifier not in function.qualifiers:
            return None, "", arn
        return function, qualifier if qualifier.isdigit() else "$LATEST", arn


class _QuietServer(ThreadingHTTPServer):
    """Clients dropping kept-alive connections are normal, not errors worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLambda/1.0"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms
    # to every keep-alive call, which real Lambda does not.
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeLambda:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no access log on stderr."""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("x-amzn-RequestId", self.headers.get("amz-sdk-invocation-id", "") or "fake-request")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None,
               **extra: Any) -> None:
        body = json.dumps({"Type": "User", "message": message, **extra}).encode()
        self._send(status, body, {"x-amzn-ErrorType": error_type, **(headers or {})})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/__control/invocations":
            self._send(200, json.dumps(self.fake.invocations).encode())
            return
        match = FUNCTION_PATH.match(url.path)
        if match is None:
            self._error(404, "UnknownOperationException", f"Unknown operation {url.path}")
            return
        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
        function, _, arn = self.fake.resolve(unquote(match.group("name")), qualifier)
        if function is None:
            self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
            return
        config = {"FunctionName": function.name, "FunctionArn": function.arn, "Runtime": "python3.11",
                  "Handler": function.handler, "Timeout": function.timeout, "MemorySize": function.memory,
                  "Version": "$LATEST", "State": "Active", "LastUpdateStatus": "Successful",
                  "Environment": {"Variables": function.env}}
        self._send(200, json.dumps({"Configuration": config, "Code": {}}).encode())

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/__control/"):
            self._control(url.path, json.loads(body or b"{}"))
            return
        match = INVOKE_PATH.match(url.path)
        if match is None:
            self._error(404, "UnknownOperationException", f"Unknown operation {url.path}")
            return
        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
        function, version, arn = self.fake.resolve(unquote(match.group("name")), qualifier)
        if function is None:
            self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
            return
        if len(body) > REQUEST_LIMIT:
            self._error(413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the "
                        "InvokeFunction operation")
            return
        try:
            event = json.loads(body) if body else {}
        except ValueError as exc:
            self._error(400, "InvalidRequestContentException", f"Could not parse request body into json: {exc}")
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            self._error(400, "InvalidParameterValueException", f"Unsupported invocation type {invocation_type}")
            return
        if self._throttled(function) or self._service_error(function):
            return
        if invocation_type == "DryRun":
            self._send(204)
            return
        if invocation_type == "Event":
            threading.Thread(target=function.invoke, args=(event,), daemon=True).start()
            self._send(202, b"", {"X-Amz-Executed-Version": version})
            return
        outcome = function.invoke(event)
        if outcome is None:
            self._error(429, "TooManyRequestsException", "Rate Exceeded.", {"Retry-After": str(self.fake.retry_after)},
                        Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
            return
        headers = {"X-Amz-Executed-Version": version}
        if outcome.function_error:
            headers["X-Amz-Function-Error"] = outcome.function_error
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(outcome.log.encode()[-LOG_TAIL_BYTES:]).decode()
        self._send(200, outcome.payload, headers)

    def _throttled(self, function: Function) -> bool:
        with self.fake._lock:
            if function.throttles_pending <= 0:
                return False
            function.throttles_pending -= 1
            self.fake.throttled[function.name] = self.fake.throttled.get(function.name, 0) + 1
        self._error(429, "TooManyRequestsException", "Rate Exceeded.", {"Retry-After": str(self.fake.retry_after)},
                    Reason="CallerRateLimitExceeded")
        return True

    def _service_error(self, function: Function) -> bool:
        with self.fake._lock:
            if function.service_errors_pending <= 0:
                return False
            function.service_errors_pending -= 1
        self._error(500, "ServiceException", "The AWS Lambda service encountered an internal error.")
        return True

    def _control(self, path: str, body: dict[str, Any]) -> None:
        try:
            if path == "/__control/functions":
                arn = self.fake.add_function(body["name"], body["handler"], env=body.get("env"),
                                             timeout=body.get("timeout", 30), code_dir=body.get("codeDir"))
                self._send(200, json.dumps({"FunctionArn": arn}).encode())
            elif path == "/__control/throttle":
                self.fake.throttle(body["name"], int(body.get("count", 1)))
                self._send(200, b"{}")
            else:
                self._error(404, "UnknownOperationException", f"Unknown control {path}")
        except (KeyError, TypeError, ValueError) as exc:
            self._error(400, "InvalidParameterValueException", f"Bad control request: {exc!r}")
