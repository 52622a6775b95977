"""Calling a custom connector: one SDK request in, the handler's answer dict out.

Two ways to reach the code a `RegisterConnector` named:

* `LambdaInvoker` - the real Lambda `Invoke` API through boto3 (`AWS_ENDPOINT_URL_LAMBDA` applies,
  so a local Lambda emulator works too), signed as the identity `lambda_identity` picks: the
  server's own for the default account and for functions the operator allows every account
  (`SLUICE_LAMBDA_ALLOWED_ARNS`, comma-separated `fnmatch` patterns); otherwise the account's own
  AWS identity (`sluice accounts aws`). An account with neither may not invoke the function.
* `LocalInvoker` - a Python handler (`package.module:function` or `/path/file.py:function`) run
  in long-lived worker processes of its own, never in the server process: a connector that
  leaks, hangs, prints or crashes costs one worker, not the service. `worker_process.py` is the
  server's end of one worker (and describes the protocol), `local_worker.py` the child's.

`invoker_for(arn, account_id=...)` picks the local handler `links.py` binds to the ARN for that
account, else Lambda (signed as the account's identity). Every
failure is a `ConnectorError`: ServerError (raised, garbage, crashed, unreachable),
ConnectorTimeout, ThrottlingError (Lambda kept throttling) or ResourceNotFound (no function).
"""

from __future__ import annotations

import atexit
import fnmatch
import json
import math
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from sluice.connectors.aws_identity import SERVER, AwsIdentity, resolve
from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import links
from sluice.connectors.custom_connector.worker_process import StaleWorker, WorkerProcess, function_error
from sluice.settings import current

# Lambda's throttling and transient service errors, retried with backoff before giving up.
_RETRYABLE = {"TooManyRequestsException", "ServiceException", "EC2ThrottledException", "ResourceConflictException"}
_THROTTLING = {"TooManyRequestsException", "EC2ThrottledException"}
_MAX_ATTEMPTS = 4
_BACKOFF = 0.25
ALLOWED_ENV = "SLUICE_LAMBDA_ALLOWED_ARNS"


def operator_allows(lambda_arn: str) -> bool:
    """True when `SLUICE_LAMBDA_ALLOWED_ARNS` names the function (a pattern or an exact ARN)."""
    patterns = current().connectors.lambda_allowed_arns
    return any(fnmatch.fnmatchcase(lambda_arn, pattern) for pattern in patterns)


def lambda_identity(lambda_arn: str, aws: AwsIdentity | None) -> AwsIdentity:
    """The identity that invokes `lambda_arn` for an account whose identity is `aws`.

    Functions the operator allows are invoked as the server (they are the operator's); any other
    as the account's own identity, so AWS decides what the account may run. An account without an
    identity is refused before any call.
    """
    identity = resolve(aws)
    if identity.is_server or operator_allows(lambda_arn):
        return SERVER
    if identity.kind == "none":
        raise ConnectorError(
            "InvalidArgument",
            f"account {identity.account_id} may not invoke the Lambda function {lambda_arn}: the operator has not "
            f"allowed it ({ALLOWED_ENV}) and the account has no AWS identity of its own configured; see "
            "`sluice accounts aws`",
        )
    return identity


class Invoker(Protocol):
    """Something that runs a custom connector's Lambda handler."""

    def invoke(self, event: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one SDK request; the handler's answer dict (the SDK response's `to_dict()`)."""
        ...


# -- Lambda -------------------------------------------------------------------------------------

# (region, endpoint, read timeout, credentials source) -> client; most recently used last.
_clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_clients_lock = threading.Lock()
_MAX_CLIENTS = 32


def _lambda_client(region: str, timeout: float, identity: AwsIdentity = SERVER) -> Any:
    """A cached boto3 Lambda client: building one costs tens of milliseconds.

    The read timeout is the call's timeout (rounded up to a second, so a few clients serve every
    caller); the endpoint and the server's credentials come from the environment as boto3 reads
    them, and are part of the key (with the identity) so that changing them takes effect.
    """
    read_timeout = float(max(1, math.ceil(timeout)))
    endpoint = os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or os.environ.get("AWS_ENDPOINT_URL")
    key = (region, endpoint, read_timeout, os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_PROFILE"),
           identity)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
    from botocore.config import Config  # deferred: only deployments that really call Lambda pay for it

    config = Config(
        read_timeout=read_timeout,
        connect_timeout=min(10.0, read_timeout),
        # No botocore retries (its `max_attempts` counts retries, not attempts): we retry
        # ourselves, so that throttling is counted and reported as ThrottlingError.
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    # A session of its own: the default session would keep the credentials it resolved first.
    client = identity.session(region).client("lambda", region_name=region, config=config)
    with _clients_lock:
        client = _clients.setdefault(key, client)
        while len(_clients) > _MAX_CLIENTS:
            _clients.popitem(last=False)
    return client


class LambdaInvoker:
    """Invokes a deployed Lambda function synchronously (`InvocationType=RequestResponse`)."""

    def __init__(self, lambda_arn: str, timeout: float = 60.0, aws: AwsIdentity | None = None) -> None:
        parts = links.parse_arn(lambda_arn)
        self.identity = lambda_identity(lambda_arn, aws)  # refused here, before any call
        self.lambda_arn = lambda_arn
        self.region = str(parts["region"])
        self.name = str(parts["name"])
        self.timeout = timeout

    def invoke(self, event: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """One synchronous invocation, retrying throttles and Lambda service errors."""
        from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

        limit = self.timeout if timeout is None else timeout
        payload = _encode(event)
        client = _lambda_client(self.region, limit, self.identity)
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = client.invoke(FunctionName=self.lambda_arn, InvocationType="RequestResponse", Payload=payload)
                body = answer["Payload"].read()
                break
            except ReadTimeoutError as exc:
                raise ConnectorError(
                    "ConnectorTimeout", f"the connector {self.name} did not answer in {limit:g} s"
                ) from exc
            except ClientError as exc:
                delay = self._retry_or_raise(exc, attempt)
            except BotoCoreError as exc:  # connection refused, reset, DNS: nothing answered
                raise ConnectorError("ServerError", f"the connector {self.name} could not be reached: {exc}") from exc
            time.sleep(delay)
        try:
            result = json.loads(body) if body else None
        except ValueError:
            result = None
        if answer.get("FunctionError"):
            raise function_error(self.name, result)
        if not isinstance(result, dict):
            raise ConnectorError(
                "ServerError", f"the connector {self.name} answered something that is not a JSON object"
            )
        return result

    def _retry_or_raise(self, exc: Any, attempt: int) -> float:
        """How long to wait before retrying a refused invocation; raises when it must not be retried."""
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.get("Message") or str(exc)
        name = self.name
        if code in _RETRYABLE or status == 429 or (isinstance(status, int) and status >= 500):
            delay = _retry_delay(exc.response, attempt)
            if attempt < _MAX_ATTEMPTS:
                return delay
            throttled = code in _THROTTLING or status == 429
            raise ConnectorError(
                "ThrottlingError" if throttled else "ServerError",
                f"Lambda kept refusing the connector {name} after {attempt} attempts: {code}: {message}",
                retry_after=delay,
            ) from exc
        if code == "ResourceNotFoundException" or status == 404:
            raise ConnectorError("ResourceNotFound", f"no Lambda function {self.lambda_arn}: {message}") from exc
        if code == "RequestTooLargeException" or status == 413:
            raise ConnectorError(
                "InvalidArgument", f"the request to the connector {name} is too large: {message}"
            ) from exc
        raise ConnectorError("ServerError", f"Lambda refused to run the connector {name}: {code}: {message}") from exc


def _retry_delay(response: Mapping[str, Any], attempt: int) -> float:
    """Lambda's Retry-After when it sends one (capped), else exponential backoff."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    hint = headers.get("retry-after") or response.get("retryAfterSeconds")
    try:
        if hint is not None:
            return min(float(hint), 5.0)
    except (TypeError, ValueError):
        pass
    return _BACKOFF * (2 ** (attempt - 1))


def _encode(event: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(event, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise ConnectorError("InvalidArgument", f"the connector request is not JSON: {exc}") from exc


# -- local handlers -----------------------------------------------------------------------------

_local_invokers: weakref.WeakSet[LocalInvoker] = weakref.WeakSet()
# Workers idle this long are stopped (as Lambda retires idle execution environments): a server
# with many profiles or connectors does not keep a process per combination forever.
IDLE_SECONDS = 600.0
_reaper_started = False
_reaper_lock = threading.Lock()


def _start_reaper() -> None:
    global _reaper_started
    with _reaper_lock:
        if _reaper_started:
            return
        _reaper_started = True

    def reap_forever() -> None:
        while True:
            time.sleep(min(60.0, IDLE_SECONDS / 4))
            for invoker in list(_local_invokers):
                invoker.reap(IDLE_SECONDS)

    threading.Thread(target=reap_forever, name="connector-worker-reaper", daemon=True).start()


class LocalInvoker:
    """Runs a Python handler in up to `pool_size` long-lived worker processes.

    One call at a time per worker; a second concurrent call gets the second worker instead of
    waiting. A worker that timed out is killed, one that crashed is dropped; the next call starts
    a fresh one. Workers get `env` on top of the scrubbed environment `sandbox.py` builds.
    """

    def __init__(
        self,
        target: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        memory_mb: int = 1024,
        *,
        name: str | None = None,
        pool_size: int = 2,
    ) -> None:
        self.target = links.normalize_target(target)
        self.env = dict(env or {})
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.name = name or self.target.rpartition(":")[2]
        self.pool_size = max(1, pool_size)
        self._idle: list[WorkerProcess] = []
        self._busy = 0  # workers handed out, plus slots reserved for workers being started
        # Bumped by close(): workers started before it are stopped when their call returns.
        self._generation = 0
        self._cond = threading.Condition()
        _local_invokers.add(self)
        _start_reaper()

    def invoke(self, event: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Run the handler on `event` in a worker; its answer, or a ConnectorError."""
        limit = self.timeout if timeout is None else timeout
        payload = _encode(event)
        worker = self._acquire()
        try:
            if worker is None:
                worker = self._start(limit)
            try:
                return worker.call(payload, limit)
            except StaleWorker:
                # It died between calls and never saw this request: a fresh worker may take it.
                worker = self._start(limit)
                return worker.call(payload, limit)
        finally:
            self._release(worker)

    def _start(self, limit: float) -> WorkerProcess:
        worker = WorkerProcess(self.target, self.env, self.memory_mb, self.name)
        worker.generation = self._generation
        # Loading the handler has its own allowance, as a Lambda's init phase has.
        worker.start(max(limit, 30.0))
        return worker

    def close(self) -> None:
        """Stop every worker: idle ones now, busy ones when their call returns. Later calls start new ones."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._generation += 1
        for worker in idle:
            worker.stop()

    def reap(self, max_idle: float) -> int:
        """Stop workers idle for more than `max_idle` seconds; how many were stopped."""
        cutoff = time.monotonic() - max_idle
        with self._cond:
            old = [worker for worker in self._idle if worker.last_used <= cutoff]
            self._idle = [worker for worker in self._idle if worker.last_used > cutoff]
        for worker in old:
            worker.stop()
        return len(old)

    def _acquire(self) -> WorkerProcess | None:
        """An idle worker, or None meaning "start one" (a slot is reserved), waiting if all are busy."""
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()  # LIFO: the most recently used worker is the warmest
                    if worker.alive:
                        self._busy += 1
                        return worker
                    worker.stop()
                if self._busy < self.pool_size:
                    self._busy += 1
                    return None
                self._cond.wait()

    def _release(self, worker: WorkerProcess | None) -> None:
        with self._cond:
            self._busy -= 1
            if worker is not None and worker.alive and worker.generation == self._generation:
                worker.last_used = time.monotonic()
                self._idle.append(worker)
                worker = None
            self._cond.notify()
        if worker is not None:
            worker.stop()


# -- choosing ------------------------------------------------------------------------------------

# Most recently used last; bounded, because every distinct environment (one per profile's
# credentials) gets invokers of its own and each may hold worker processes.
_bound: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], LocalInvoker] = OrderedDict()
_bound_lock = threading.Lock()
_MAX_BOUND = 32


def invoker_for(
    lambda_arn: str,
    env: Mapping[str, str] | None = None,
    data_dir: str | None = None,
    aws: AwsIdentity | None = None,
    *,
    account_id: str | None = None,
    default_account: bool = False,
) -> Invoker:
    """The local handler `links` binds to `lambda_arn` for `account_id`, else the Lambda function itself (as `aws` may).

    Without an account no link applies: local code runs only for an account it was linked for.

    Local invokers are cached per (target, environment), so their workers serve every call and
    every run. The worker gets what the Lambda runtime would set: the function's name and region.
    """
    target = None
    if account_id:
        target = links.target_for(lambda_arn, account_id, default_account=default_account, data_dir=data_dir)
    if target is None:
        return LambdaInvoker(lambda_arn, aws=aws)
    parts = links.parse_arn(lambda_arn)
    full_env = {
        "AWS_REGION": str(parts["region"]),
        "AWS_DEFAULT_REGION": str(parts["region"]),
        "AWS_LAMBDA_FUNCTION_NAME": str(parts["name"]),
        **(env or {}),
    }
    key = (target, tuple(sorted(full_env.items())))
    evicted: list[LocalInvoker] = []
    with _bound_lock:
        invoker = _bound.get(key)
        if invoker is None:
            invoker = LocalInvoker(
                target, full_env, memory_mb=current().connectors.worker_memory_mb, name=str(parts["name"])
            )
            _bound[key] = invoker
            while len(_bound) > _MAX_BOUND:
                evicted.append(_bound.popitem(last=False)[1])
        else:
            _bound.move_to_end(key)
    for old in evicted:
        old.close()
    return invoker


def close_all() -> None:
    """Stop every local worker (tests, server shutdown); invokers start new ones if used again."""
    with _bound_lock:
        _bound.clear()
    for invoker in list(_local_invokers):
        invoker.close()


atexit.register(close_all)
