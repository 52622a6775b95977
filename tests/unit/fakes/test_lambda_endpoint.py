"""The fake Lambda endpoint (tests/fakes/lambda_endpoint) driven by the real boto3 Lambda client."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fakes.lambda_endpoint import FakeLambda

HANDLERS = '''
import json, logging, os, time

def ok(event, context):
    print("event:", json.dumps(event))
    logging.getLogger().warning("a warning")
    return {"echo": event, "pid": os.getpid(), "greeting": os.environ.get("GREETING"),
            "function": context.function_name, "remaining": context.get_remaining_time_in_millis()}

def fail(event, context):
    raise ValueError("something broke")

def slow(event, context):
    time.sleep(float(event.get("seconds", 30)))
    return "finished"

def die(event, context):
    os._exit(3)

def chatty(event, context):
    for i in range(500):
        print(f"line {i:04d} " + "x" * 40)
    return "done"

def unserialisable(event, context):
    return {"value": object()}
'''


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeLambda]:
    """A fake Lambda with functions from a handler file, plus a module-path handler."""
    code = tmp_path_factory.mktemp("code") / "handlers.py"
    code.write_text(HANDLERS)
    server = FakeLambda(port=0).start()
    for name in ("ok", "fail", "die", "chatty", "unserialisable"):
        server.add_function(name, f"{code}:{name}", env={"GREETING": "hello"}, timeout=10)
    server.add_function("slow", f"{code}:slow", timeout=1)
    server.add_function("missing-module", "no_such_module_here:handler")
    server.add_function("tickets", "tests.fakes.connectors.json_api_connector:lambda_handler", qualifiers=("1", "live"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client(fake: FakeLambda) -> Any:
    """boto3 Lambda client against the fake, without retries."""
    return boto3.client("lambda", endpoint_url=fake.url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))


def payload(answer: dict[str, Any]) -> Any:
    """The decoded JSON payload of an Invoke answer."""
    return json.loads(answer["Payload"].read())


def test_request_response(fake: FakeLambda, client: Any) -> None:
    before = fake.invocations["ok"]
    answer = client.invoke(FunctionName="ok", Payload=json.dumps({"n": 1}))
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    body = payload(answer)
    assert body["echo"] == {"n": 1} and body["greeting"] == "hello" and body["function"] == "ok"
    assert 0 < body["remaining"] <= 10_000
    # The same long-lived environment serves the next call, addressed by ARN (boto3 URL-encodes it),
    # name:qualifier or partial ARN.
    for name in (fake.arn("ok"), "ok:$LATEST", "123456789012:function:ok"):
        assert payload(client.invoke(FunctionName=name, Payload=b"{}"))["pid"] == body["pid"]
    assert fake.invocations["ok"] == before + 4


def test_qualifiers(client: Any) -> None:
    assert client.invoke(FunctionName="tickets", Qualifier="1", Payload=b"{}")["ExecutedVersion"] == "1"
    assert client.invoke(FunctionName="tickets:live", Payload=b"{}")["ExecutedVersion"] == "$LATEST"
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="tickets", Qualifier="7", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_module_handler_answers_sdk_request(client: Any) -> None:
    answer = payload(client.invoke(FunctionName="tickets",
                                   Payload=json.dumps({"type": "DescribeConnectorConfigurationRequest"})))
    assert answer["isSuccess"] is True and answer["connectorName"] == "JsonApiTickets"


def test_function_error(client: Any) -> None:
    answer = client.invoke(FunctionName="fail", Payload=b"{}")
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    body = payload(answer)
    assert body["errorMessage"] == "something broke" and body["errorType"] == "ValueError"
    assert any("handlers.py" in line and "fail" in line for line in body["stackTrace"])
    marshal = payload(client.invoke(FunctionName="unserialisable", Payload=b"{}"))
    assert marshal["errorType"] == "Runtime.MarshalError"
    missing = payload(client.invoke(FunctionName="missing-module", Payload=b"{}"))
    assert missing["errorType"] == "Runtime.ImportModuleError"


def test_unknown_function_is_404(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="nope", Payload=b"{}")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Error"]["Message"] == "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"


def test_throttling(fake: FakeLambda, client: Any) -> None:
    before = fake.invocations["ok"]
    fake.throttle("ok", 1)
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="ok", Payload=b"{}")
    error = caught.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert fake.invocations["ok"] == before and fake.throttled["ok"] >= 1
    # boto3's default retries ride out a single throttle.
    retrying = boto3.client("lambda", endpoint_url=fake.url, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing")
    fake.throttle("ok", 1)
    assert retrying.invoke(FunctionName="ok", Payload=b"{}")["StatusCode"] == 200


def test_timeout_replaces_environment(client: Any) -> None:
    started = time.monotonic()
    answer = client.invoke(FunctionName="slow", Payload=json.dumps({"seconds": 30}), LogType="Tail")
    assert time.monotonic() - started < 5
    assert answer["FunctionError"] == "Unhandled"
    body = payload(answer)
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out" in base64.b64decode(answer["LogResult"]).decode()
    assert payload(client.invoke(FunctionName="slow", Payload=json.dumps({"seconds": 0}))) == "finished"


def test_crash_replaces_environment(client: Any) -> None:
    answer = client.invoke(FunctionName="die", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert payload(answer)["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in payload(client.invoke(FunctionName="die", Payload=b"{}"))["errorMessage"]


def test_tail_logs(client: Any) -> None:
    answer = client.invoke(FunctionName="ok", Payload=json.dumps({"n": 2}), LogType="Tail")
    log = base64.b64decode(answer["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "END RequestId: " in log and "REPORT RequestId: " in log
    assert 'event: {"n": 2}' in log and "[WARNING]" in log and "a warning" in log
    assert "LogResult" not in client.invoke(FunctionName="ok", Payload=b"{}")
    tail = base64.b64decode(client.invoke(FunctionName="chatty", Payload=b"{}", LogType="Tail")["LogResult"])
    assert len(tail) == 4096 and b"line 0499" in tail and b"line 0001" not in tail


def test_event_and_dry_run(fake: FakeLambda, client: Any) -> None:
    before = fake.invocations["ok"]
    assert client.invoke(FunctionName="ok", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert client.invoke(FunctionName="ok", InvocationType="DryRun", Payload=b"{}")["StatusCode"] == 204
    deadline = time.monotonic() + 5
    while fake.invocations["ok"] == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.invocations["ok"] == before + 1


def test_bad_payload_and_get_function(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="ok", Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    config = client.get_function(FunctionName="slow")["Configuration"]
    assert config["FunctionName"] == "slow" and config["Timeout"] == 1


def test_files_stay_out_of_the_handler_folder(tmp_path: Path) -> None:
    with FakeLambda() as server:
        (tmp_path / "h.py").write_text("def handler(event, context):\n    return sorted(__import__('os').environ)\n")
        server.add_function("env", f"{tmp_path / 'h.py'}:handler", env={"ONLY_THIS": "1"})
        lam = boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        names = payload(lam.invoke(FunctionName="env", Payload=b"{}"))
    # A function sees its own variables and Lambda's, not the test process's.
    assert "ONLY_THIS" in names and "AWS_LAMBDA_FUNCTION_NAME" in names and "PYTEST_CURRENT_TEST" not in names


def test_concurrency_limit_and_stop_kill_running_environments(tmp_path: Path) -> None:
    (tmp_path / "h.py").write_text("import time\n\ndef handler(event, context):\n    time.sleep(event['s'])\n")
    server = FakeLambda().start()
    server.add_function("solo", f"{tmp_path / 'h.py'}:handler", concurrency=1, timeout=30)
    lam = boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
    answers: list[Any] = []
    worker = threading.Thread(target=lambda: answers.append(lam.invoke(FunctionName="solo", Payload=b'{"s": 60}')))
    worker.start()
    deadline = time.monotonic() + 10
    while server.invocations["solo"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="solo", Payload=b'{"s": 0}')
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    started = time.monotonic()
    server.stop()
    worker.join(timeout=10)
    assert time.monotonic() - started < 10 and answers[0]["FunctionError"] == "Unhandled"
