"""`invoke.py`: local handlers in worker processes, and the Lambda Invoke API through boto3."""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import invoke, sdk
from sluice.connectors.custom_connector.invoke import LambdaInvoker, LocalInvoker, close_all, invoker_for
from tests.fakes.lambda_endpoint import FakeLambda

EXAMPLE = "custom_connector_example.handlers.lambda_handler:salesforce_lambda_handler"

HANDLER = """
import logging, os, signal, subprocess, sys, time

import sibling


def main(event, context):
    do = event.get("do")
    if do == "echo":
        return {"event": event, "pid": os.getpid(), "sibling": sibling.VALUE}
    if do == "context":
        return {
            "function_name": context.function_name,
            "request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
            "region": os.environ.get("AWS_REGION"),
            "acme": os.environ.get("ACME"),
            "master_key": os.environ.get("SLUICE_MASTER_KEY"),
            "openblas": os.environ.get("OPENBLAS_NUM_THREADS"),
        }
    if do == "raise":
        raise ValueError("boom")
    if do == "wrapped":
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("Exception while processing the request") from exc
    if do == "sleep":
        start = time.time()
        time.sleep(event["seconds"])
        return {"pid": os.getpid(), "start": start, "end": time.time()}
    if do == "crash":
        print("dying now", file=sys.stderr, flush=True)
        os._exit(3)
    if do == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if do == "hog":
        blob = bytearray(event["mb"] * 1024 * 1024)
        return {"len": len(blob)}
    if do == "noisy":
        print("hello from print")
        sys.stdout.write("more\\n")
        os.write(1, b"raw fd write\\n")
        subprocess.run(["echo", "from a subprocess"], check=True)
        logging.getLogger("acme").warning("a log line")
        return {"quiet": True}
    if do == "list":
        return [1, 2]
    if do == "exit":
        sys.exit(4)
    return {"pid": os.getpid()}

"""


@pytest.fixture(scope="module")
def handler_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("handlers")
    (folder / "sibling.py").write_text("VALUE = 42\n")
    (folder / "acme_handler.py").write_text(textwrap.dedent(HANDLER))
    yield str(folder / "acme_handler.py")
    close_all()


@pytest.fixture()
def local(handler_file: str) -> Iterator[LocalInvoker]:
    invoker = LocalInvoker(f"{handler_file}:main", timeout=20, name="acme")
    yield invoker
    invoker.close()


# -- local handlers -----------------------------------------------------------------------------


def test_sdk_example_describes_itself() -> None:
    invoker = LocalInvoker(EXAMPLE)
    try:
        config = sdk.connector_configuration(invoker.invoke(sdk.describe_configuration_request()))
        assert config["connectorName"] == "SamplePythonSalesforceConnector"
        assert config["authenticationConfig"]["isOAuth2Supported"] is True
        # An unknown request type: the SDK's base handler wraps the cause; the local runtime names it.
        with pytest.raises(ConnectorError) as info:
            invoker.invoke({"type": "NoSuchRequest"})
        assert info.value.code == "ServerError"
        # The caller learns the error type only; the SDK's text goes to the server log.
        assert info.value.message.endswith("failed: RuntimeError")
        assert "NoSuchRequest" not in info.value.message
    finally:
        invoker.close()


def test_file_handler_with_sibling_import_and_context(local: LocalInvoker) -> None:
    answer = local.invoke({"do": "echo", "n": [1, "two", None]})
    assert answer["event"] == {"do": "echo", "n": [1, "two", None]}
    assert answer["sibling"] == 42
    ctx = local.invoke({"do": "context"}, timeout=5)
    assert ctx["function_name"] == "acme"
    assert len(ctx["request_id"]) == 36
    assert 0 < ctx["remaining"] <= 5000


@pytest.mark.parametrize("passed", [False, True])
def test_worker_environment(handler_file: str, monkeypatch: pytest.MonkeyPatch, passed: bool) -> None:
    """Workers get a scrubbed environment: the server's variables only when the operator names them."""
    monkeypatch.setenv("SLUICE_MASTER_KEY", "server-only")
    monkeypatch.setenv("ACME", "from-server")
    if passed:
        monkeypatch.setenv("SLUICE_CONNECTOR_ENV", "ACME, SLUICE_MASTER_KEY_NOT_SET")
    invoker = LocalInvoker(f"{handler_file}:main", env={"AWS_REGION": "ap-south-1"})
    try:
        ctx = invoker.invoke({"do": "context"})
    finally:
        invoker.close()
    assert ctx["master_key"] is None
    assert ctx["acme"] == ("from-server" if passed else None)
    assert ctx["region"] == "ap-south-1"
    assert ctx["openblas"] == "1"
    assert ctx["function_name"] == "main"


def test_a_worker_killed_while_idle_is_replaced(local: LocalInvoker) -> None:
    pid = local.invoke({"do": "echo"})["pid"]
    os.kill(pid, 9)
    time.sleep(0.2)
    assert local.invoke({"do": "echo"})["pid"] != pid


def test_handler_that_raises(local: LocalInvoker) -> None:
    pid = local.invoke({"do": "echo"})["pid"]
    with pytest.raises(ConnectorError) as info:
        local.invoke({"do": "raise"})
    assert info.value.code == "ServerError"
    # Only the error type reaches the caller: the function's own text stays in the server log.
    assert info.value.message == "The connector's Lambda function acme failed: ValueError"
    with pytest.raises(ConnectorError) as info:
        local.invoke({"do": "wrapped"})
    assert info.value.message.endswith("failed: RuntimeError") and "missing" not in info.value.message
    with pytest.raises(ConnectorError, match=r"failed: SystemExit$"):
        local.invoke({"do": "exit"})
    # Raising does not cost the worker.
    assert local.invoke({"do": "echo"})["pid"] == pid


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(local: LocalInvoker) -> None:
    pid = local.invoke({"do": "echo"})["pid"]
    started = time.monotonic()
    with pytest.raises(ConnectorError) as info:
        local.invoke({"do": "sleep", "seconds": 30}, timeout=0.5)
    assert info.value.code == "ConnectorTimeout"
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert local.invoke({"do": "echo"})["pid"] != pid


def test_crash_is_a_server_error_naming_the_exit_code_and_last_output(local: LocalInvoker) -> None:
    pid = local.invoke({"do": "echo"})["pid"]
    with pytest.raises(ConnectorError) as info:
        local.invoke({"do": "crash"})
    assert info.value.code == "ServerError"
    assert "exited with code 3" in info.value.message
    assert "dying now" in info.value.message
    assert local.invoke({"do": "echo"})["pid"] != pid
    with pytest.raises(ConnectorError, match="killed by SIGKILL"):
        local.invoke({"do": "sigkill"})
    assert local.invoke({"do": "echo"})["event"] == {"do": "echo"}


def test_memory_cap(handler_file: str) -> None:
    invoker = LocalInvoker(f"{handler_file}:main", memory_mb=256, name="acme")
    try:
        pid = invoker.invoke({"do": "echo"})["pid"]
        assert invoker.invoke({"do": "hog", "mb": 16}) == {"len": 16 * 1024 * 1024}
        with pytest.raises(ConnectorError) as info:
            invoker.invoke({"do": "hog", "mb": 1024})
        assert info.value.code == "ServerError"
        assert "MemoryError" in info.value.message
        # The allocation failed cleanly: the same worker goes on serving.
        assert invoker.invoke({"do": "echo"})["pid"] == pid
    finally:
        invoker.close()


def test_prints_do_not_corrupt_the_channel(local: LocalInvoker, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG", logger="sluice.connectors.custom_connector"):
        assert local.invoke({"do": "noisy"}) == {"quiet": True}
        assert local.invoke({"do": "noisy"}) == {"quiet": True}
        assert local.invoke({"do": "echo"})["event"] == {"do": "echo"}
        deadline = time.monotonic() + 5
        while "from a subprocess" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    # What the handler printed went to the server log instead.
    assert "hello from print" in caplog.text
    assert "raw fd write" in caplog.text
    assert "from a subprocess" in caplog.text
    assert "a log line" in caplog.text


def test_answers_that_are_not_objects(local: LocalInvoker) -> None:
    with pytest.raises(ConnectorError, match="not a JSON object"):
        local.invoke({"do": "list"})


def test_handlers_that_cannot_be_loaded(handler_file: str) -> None:
    for target, why in (
        (f"{handler_file}:nope", "AttributeError"),
        ("no_such_module_for_sluice_tests:handler", "ModuleNotFoundError"),
    ):
        invoker = LocalInvoker(target, name="broken")
        with pytest.raises(ConnectorError) as info:
            invoker.invoke({"do": "echo"})
        assert info.value.code == "ServerError"
        # Lambda's error type for a handler it cannot load; why (and where) stays in the server log.
        assert info.value.message.endswith("failed: Runtime.ImportModuleError") and why not in info.value.message
    with pytest.raises(ConnectorError, match="not a handler"):
        LocalInvoker("not a target")


def test_two_calls_at_once_use_two_workers(local: LocalInvoker) -> None:
    results: list[dict[str, Any]] = []

    def run() -> None:
        results.append(local.invoke({"do": "sleep", "seconds": 0.5}))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = results
    assert a["pid"] != b["pid"]
    assert a["start"] < b["end"] and b["start"] < a["end"], "the calls did not overlap"


def test_close_stops_busy_workers_when_their_call_returns(local: LocalInvoker) -> None:
    local.invoke({"do": "echo"})  # a started worker, so close() lands mid-call rather than mid-start
    results: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: results.append(local.invoke({"do": "sleep", "seconds": 0.5})))
    thread.start()
    time.sleep(0.2)
    local.close()
    thread.join()
    with pytest.raises(ProcessLookupError):
        os.kill(results[0]["pid"], 0)
    assert local.invoke({"do": "echo"})["pid"] != results[0]["pid"]


def test_idle_workers_are_reaped(local: LocalInvoker) -> None:
    pid = local.invoke({"do": "echo"})["pid"]
    assert local.reap(60) == 0
    assert local.reap(0) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert local.invoke({"do": "echo"})["pid"] != pid


def test_invoker_for_uses_links_and_caches(handler_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_CONNECTOR_LINKS", str(tmp_path / "links.json"))
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:acme"
    me = "111111111111"
    assert isinstance(invoker_for(arn, account_id=me), LambdaInvoker)
    from sluice.connectors.custom_connector import links

    links.link(arn, f"{handler_file}:main", [me])
    first = invoker_for(arn, env={"ACME": "yes"}, account_id=me)
    assert isinstance(first, LocalInvoker)
    assert invoker_for(arn, env={"ACME": "yes"}, account_id=me) is first
    assert invoker_for(arn + ":prod", env={"ACME": "yes"}, account_id=me) is first
    assert invoker_for(arn, env={"ACME": "no"}, account_id=me) is not first
    # Another account (or no account) naming the same ARN goes to Lambda.
    assert isinstance(invoker_for(arn, env={"ACME": "yes"}, account_id="222222222222"), LambdaInvoker)
    assert isinstance(invoker_for(arn, env={"ACME": "yes"}), LambdaInvoker)
    ctx = first.invoke({"do": "context"})
    assert ctx == {**ctx, "function_name": "acme", "region": "eu-west-1", "acme": "yes"}
    pid = first.invoke({"do": "echo"})["pid"]
    close_all()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# -- Lambda --------------------------------------------------------------------------------------


LAMBDA_HANDLERS = """
import time


def echo(event, context):
    return {"isSuccess": True, "got": event}


def fails(event, context):
    raise ValueError("boom")


def sleeps(event, context):
    time.sleep(float(event.get("seconds", 30)))
    return {"isSuccess": True}


def garbage(event, context):
    return "<html>nope</html>"
"""


@pytest.fixture(scope="module")
def lambda_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeLambda]:
    """The shared fake Lambda endpoint (tests/fakes/lambda_endpoint), one for this module."""
    code = tmp_path_factory.mktemp("lambda") / "functions.py"
    code.write_text(LAMBDA_HANDLERS)
    with FakeLambda(port=0, region="us-west-2") as service:
        for name in ("echo", "fails", "garbage"):
            service.add_function(name, f"{code}:{name}")
        service.add_function("timed-out", f"{code}:sleeps", timeout=1)  # Lambda's own timeout fires
        service.add_function("slow", f"{code}:sleeps", timeout=60)  # the caller's read timeout fires
        for name in ("throttled", "throttled-twice", "service-error"):
            service.add_function(name, f"{code}:echo")
        service.retry_after = 0  # throttles say "retry now": the retry count is what is tested
        yield service


@pytest.fixture()
def fake_lambda(lambda_service: FakeLambda, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lambda_service.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(invoke, "_BACKOFF", 0.01)
    for function in lambda_service.functions.values():
        function.throttles_pending = function.service_errors_pending = 0
    lambda_service.throttled.clear()
    return lambda_service.arn("")


def test_lambda_success(fake_lambda: str) -> None:
    answer = LambdaInvoker(fake_lambda + "echo").invoke({"type": "ListEntitiesRequest", "n": 1})
    assert answer == {"isSuccess": True, "got": {"type": "ListEntitiesRequest", "n": 1}}


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("fails", "ServerError", "The connector's Lambda function fails failed: ValueError"),
        ("timed-out", "ConnectorTimeout", "did not answer in time"),
        ("garbage", "ServerError", "not a JSON object"),
        ("missing", "ResourceNotFound", "Function not found: arn:aws:lambda:us-west-2:123456789012:function:missing"),
        ("throttled", "ThrottlingError", "after 4 attempts"),
        ("service-error", "ServerError", "ServiceException"),
    ],
)
def test_lambda_failures(lambda_service: FakeLambda, fake_lambda: str, name: str, code: str, message: str) -> None:
    if name == "throttled":
        lambda_service.throttle(name, 100)
    if name == "service-error":
        lambda_service.fail_service(name, 100)
    before = lambda_service.invocations.get(name, 0)
    with pytest.raises(ConnectorError) as info:
        LambdaInvoker(fake_lambda + name).invoke({"type": "ListEntitiesRequest"})
    assert info.value.code == code
    assert message in info.value.message and "boom" not in info.value.message
    if name in ("throttled", "service-error"):  # retried, and never reached the handler
        function = lambda_service.functions[name]
        assert 100 - (function.throttles_pending + function.service_errors_pending) == 4
        assert lambda_service.invocations[name] == before
    elif name != "missing":
        assert lambda_service.invocations[name] == before + 1


def test_lambda_throttling_is_retried(lambda_service: FakeLambda, fake_lambda: str) -> None:
    lambda_service.throttle("throttled-twice", 2)
    answer = LambdaInvoker(fake_lambda + "throttled-twice").invoke({"type": "x"})
    assert answer == {"isSuccess": True, "got": {"type": "x"}}
    assert lambda_service.throttled["throttled-twice"] == 2
    assert lambda_service.functions["throttled-twice"].invocations == 1


def test_lambda_read_timeout(fake_lambda: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConnectorError) as info:
        LambdaInvoker(fake_lambda + "slow", timeout=1.0).invoke({"type": "x", "seconds": 30})
    assert info.value.code == "ConnectorTimeout"
    # The handler sleeps 30 s: giving up well before then is the caller's timeout (generous for a loaded host).
    assert time.monotonic() - started < 20


def test_lambda_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(ConnectorError) as info:
        LambdaInvoker("arn:aws:lambda:us-west-2:123456789012:function:x", timeout=2).invoke({"type": "x"})
    assert info.value.code == "ServerError" and "could not be reached" in info.value.message
