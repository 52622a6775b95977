"""sluice.settings and sluice.config: values read once, malformed ones named, scopes that end."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sluice import settings
from sluice.cli import build_parser, main
from sluice.config import Settings
from sluice.connectors.custom_connector.limits import call_timeout
from sluice.connectors.salesforce import settings as salesforce_settings
from sluice.settings import ProcessSettings, SalesforceSettings, SettingsError


@pytest.mark.parametrize("name, value", [
    ("SLUICE_SALESFORCE_MAX_ATTEMPTS", "five"),
    ("SLUICE_SALESFORCE_TIMEOUT", "2 minutes"),
    ("SLUICE_SALESFORCE_BULK_THRESHOLD", "1e3x"),
    ("SLUICE_SALESFORCE_BULK_PAGE_RECORDS", "100k"),
    ("SLUICE_SALESFORCE_BULK_MAX_WAIT", "nan"),
    ("SLUICE_SALESFORCE_BACKOFF_BASE", "fast"),
    ("SLUICE_CONNECTOR_TIMEOUT", "-3"),
    ("SLUICE_WORKER_MEMORY_MB", "1GB"),
    ("SLUICE_S3_BACKEND", "gcs"),
    ("SLUICE_PARALLELISM", "all"),
])
def test_a_malformed_connector_setting_is_an_error_naming_it(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        ProcessSettings.from_mapping({name: value})


@pytest.mark.parametrize("name", ["SLUICE_PORT", "SLUICE_WORKERS", "SLUICE_SCHEDULER_SPEEDUP"])
def test_a_malformed_server_setting_is_the_same_error(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "lots"})


def test_the_cli_reports_a_malformed_setting_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BULK_THRESHOLD", "many")
    assert main(["--data-dir", str(tmp_path), "connectors", "links"]) == 2
    assert "SLUICE_SALESFORCE_BULK_THRESHOLD must be a whole number, not 'many'" in capsys.readouterr().err
    monkeypatch.delenv("SLUICE_SALESFORCE_BULK_THRESHOLD")
    monkeypatch.setenv("SLUICE_PORT", "eighty")
    assert main(["--data-dir", str(tmp_path), "connectors", "links"]) == 2
    assert "SLUICE_PORT must be a whole number, not 'eighty'" in capsys.readouterr().err


def test_values_are_read_into_typed_fields() -> None:
    read = SalesforceSettings.from_mapping({
        "SLUICE_SALESFORCE_BULK_THRESHOLD": "400", "SLUICE_SALESFORCE_BULK_MAX_WAIT": "0",
        "SLUICE_SALESFORCE_CLIENT_ID": "cid",
    })
    assert (read.bulk_threshold, read.bulk_max_wait, read.client_id, read.max_attempts) == (400, 1.0, "cid", 5)


def test_parallelism_defaults_to_the_usable_cores() -> None:
    assert ProcessSettings.from_mapping({}).parallelism == len(os.sched_getaffinity(0))
    assert ProcessSettings.from_mapping({"SLUICE_PARALLELISM": "3"}).parallelism == 3
    assert ProcessSettings.from_mapping({"SLUICE_PARALLELISM": "0"}).parallelism == 1


def test_installed_settings_win_over_the_environment_until_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BULK_THRESHOLD", "7")
    assert salesforce_settings.bulk_threshold() == 7
    settings.install(ProcessSettings.from_mapping({"SLUICE_SALESFORCE_BULK_THRESHOLD": "9"}))
    try:
        monkeypatch.setenv("SLUICE_SALESFORCE_BULK_THRESHOLD", "8")
        assert salesforce_settings.bulk_threshold() == 9
    finally:
        settings.install(None)
    assert salesforce_settings.bulk_threshold() == 8


def test_a_scoped_value_stays_in_its_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_CONNECTOR_TIMEOUT", raising=False)
    seen: list[float] = []
    with settings.use(ProcessSettings.from_mapping({"SLUICE_CONNECTOR_TIMEOUT": "3"})):
        assert call_timeout(60.0) == 3.0
        # Another thread (another server's run) is not in this scope.
        thread = threading.Thread(target=lambda: seen.append(call_timeout(60.0)))
        thread.start()
        thread.join()
    assert seen == [60.0]
    assert call_timeout(60.0) == 60.0


def test_the_public_url_defaults_to_the_listen_address() -> None:
    server = Settings(data_dir=Path("/tmp/x"), host="0.0.0.0", port=9123)
    assert server.process_settings({}).public_url == "http://127.0.0.1:9123"
    assert server.process_settings({"SLUICE_PUBLIC_URL": "https://s.example"}).public_url == "https://s.example"
    assert server.process_settings({}).data_dir == "/tmp/x"


@pytest.mark.parametrize("argv", [["serve", "--data-dir", "X"], ["--data-dir", "X", "serve"]])
def test_data_dir_goes_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).data_dir == "X"


def test_local_workers_get_the_configured_memory(tmp_path: Path) -> None:
    from sluice.connectors.custom_connector import invoke, links

    arn = "arn:aws:lambda:us-east-1:123456789012:function:memory-check"
    chosen = ProcessSettings.from_mapping({
        "SLUICE_WORKER_MEMORY_MB": "256", "SLUICE_CONNECTOR_LINKS": str(tmp_path / "links.json")})
    with settings.use(chosen):
        links.link(arn, "json:dumps", ["111122223333"])
        invoker = invoke.invoker_for(arn, account_id="111122223333")
    try:
        assert isinstance(invoker, invoke.LocalInvoker) and invoker.memory_mb == 256
    finally:
        invoke.close_all()


def test_registration_waits_as_long_as_the_connector_timeout_says(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.connectors import custom_connector
    from sluice.connectors.custom_connector import invoke

    waited: list[float | None] = []

    class Recorder:
        def invoke(self, event: object, timeout: float | None = None) -> dict[str, object]:
            waited.append(timeout)
            raise RuntimeError("recorded")

    monkeypatch.setattr(invoke, "invoker_for", lambda arn, env=None, **_: Recorder())
    for value, expected in (({}, 30.0), ({"SLUICE_CONNECTOR_TIMEOUT": "4"}, 4.0)):
        with settings.use(ProcessSettings.from_mapping(value)), pytest.raises(RuntimeError, match="recorded"):
            custom_connector.describe_lambda("arn:aws:lambda:us-east-1:123456789012:function:x")
        assert waited.pop() == expected
