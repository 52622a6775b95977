"""The Airbyte and Singer commands, run against an installed connector (connectors layer).

`Airbyte` speaks the Airbyte protocol (https://docs.airbyte.com/understanding-airbyte/airbyte-protocol):
`spec`, `check --config`, `discover --config`, `read --config --catalog [--state]`. `Singer` speaks
Singer's (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md): `--about --format
json` for the settings schema where the tap offers it (singer-sdk taps do), `--config --discover`
for the catalog (and as the profile check: Singer has no check command), and `--config --catalog
[--state]` to read, selecting the stream through its `metadata` breadcrumbs. Both hand streams over
as `Stream`s and reads as `messages` events; the config and state files are 0600 files in a private
folder removed afterwards, and every text kept from the connector has the config's secrets redacted.
Each command runs behind its own egress proxy (`connectors/egress_proxy.py`): the connector's
HTTP(S) goes through it and meets Sluice's outbound rules; refusals go to `on_refused`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.egress_proxy import EgressProxy
from sluice.connectors.external import paths
from sluice.connectors.external.install import Installed
from sluice.connectors.external.messages import Event, Failure, Log, airbyte_event, singer_event
from sluice.connectors.external.process import (
    ConnectorProcess,
    private_dir,
    redact,
    secret_file,
    subprocess_env,
    trust_shim,
)

SPEC_CACHE = ".sluice-spec.json"


@dataclass(frozen=True)
class Stream:
    """One stream a connector offers (an entity)."""

    name: str
    schema: Mapping[str, Any]
    incremental: bool = False
    cursor: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def _home() -> Path:
    home = paths.root() / "home"
    home.mkdir(parents=True, exist_ok=True)
    return home


def _env(proxy: str | None) -> dict[str, str]:
    return subprocess_env(proxy=proxy, home=_home(), shim=trust_shim(paths.root() / "shim"))


@contextmanager
def _egress(runner: Runner) -> Iterator[tuple[dict[str, str], list[str]]]:
    """The environment of one connector command, its HTTP(S) through a fresh egress proxy, and the
    texts to redact from what it says (the proxy URL carries the proxy's token)."""
    with EgressProxy(on_refused=runner.on_refused) as proxy:
        yield _env(proxy.url), [*runner.secrets, proxy.url, proxy.url.split("@")[0]]


class Runner:
    """What both protocols share: one command at a time, config and state in private files."""

    parse: Callable[[Mapping[str, Any]], Event | None]

    def __init__(self, installed: Installed, secrets: Sequence[str] = (),
                 on_refused: Callable[[str], None] | None = None) -> None:
        self.installed = installed
        self.secrets = list(secrets)
        # Called with each connection the egress proxy refused (for the run's log).
        self.on_refused = on_refused

    def _fail(self, what: str, process: ConnectorProcess, code: int, said: str | None = None) -> ConnectorError:
        detail = said or process.stderr_tail() or "no message"
        return ConnectorError("ServerError", redact(
            f"{self.installed.package} {self.installed.version} {what} failed (exit {code}): {detail}",
            process.secrets))

    def _output(self, args: list[str], files: Mapping[str, Any], what: str) -> tuple[list[dict[str, Any]], str]:
        """Run a short command to its end: (its JSON-line messages, its whole stdout when not JSON lines)."""
        with private_dir(paths.root()) as folder, _egress(self) as (env, secrets):
            argv = self.installed.command(*self._with_files(args, folder, files))
            with ConnectorProcess(argv, env, folder, secrets) as process:
                assert process.proc.stdout is not None
                raw = process.proc.stdout.read()
                code = process.wait()
        lines: list[dict[str, Any]] = []
        for line in raw.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                lines.append(message)
        failure = next((e for e in (self.parse(m) for m in lines) if isinstance(e, Failure)), None)
        if code != 0 or failure is not None:
            raise self._fail(what, process, code, failure.message if failure else None)
        return lines, raw.decode("utf-8", "replace")

    @staticmethod
    def _with_files(args: list[str], folder: Path, files: Mapping[str, Any]) -> list[str]:
        """`args` with each `{name}` placeholder replaced by the path of a private file holding that value."""
        out = []
        for arg in args:
            if arg.startswith("{") and arg.endswith("}"):
                name = arg[1:-1]
                out.append(str(secret_file(folder, f"{name}.json", files[name])))
            else:
                out.append(arg)
        return out

    def _spec(self) -> dict[str, Any]:
        """The connector's settings schema, asked of the connector itself (per protocol)."""
        raise NotImplementedError

    def spec(self) -> Mapping[str, Any]:
        """The connector's settings schema (`_spec`), cached beside its environment."""
        cached = self.installed.venv / SPEC_CACHE
        try:
            loaded: Mapping[str, Any] = json.loads(cached.read_text())
            return loaded
        except (OSError, ValueError):
            pass
        specification = self._spec()
        cached.write_text(json.dumps(specification))
        return specification

    def stream_read(self, args: list[str], files: Mapping[str, Any],
                    should_stop: Callable[[], bool]) -> Iterator[Event]:
        """The events of a read, as the connector writes them; raises ConnectorError on failure."""
        with private_dir(paths.root()) as folder, _egress(self) as (env, secrets):
            argv = self.installed.command(*self._with_files(args, folder, files))
            with ConnectorProcess(argv, env, folder, secrets) as process:
                failure: Failure | None = None
                for message in process.messages():
                    event = self.parse(message)
                    if isinstance(event, Failure):
                        failure = failure or event
                    elif isinstance(event, Log):
                        yield Log(event.level, redact(event.message, secrets))
                    elif event is not None:
                        yield event
                    if should_stop():
                        return
                code = process.wait()
                if code != 0 or failure is not None:
                    raise self._fail("read", process, code, failure.message if failure else None)


class Airbyte(Runner):
    """An Airbyte source."""

    parse = staticmethod(airbyte_event)

    def _spec(self) -> dict[str, Any]:
        """`connectionSpecification` of the source (`spec`)."""
        messages, _ = self._output(["spec"], {}, "spec")
        found = next((m["spec"] for m in messages if m.get("type") == "SPEC" and isinstance(m.get("spec"), dict)),
                     None)
        if found is None:
            raise ConnectorError("ServerError", f"{self.installed.package} answered spec with no SPEC message.")
        return dict(found.get("connectionSpecification") or {})

    def check(self, config: Mapping[str, Any]) -> None:
        """`check`: ConnectorError("InvalidCredentials", <the source's message>) when it FAILED."""
        messages, _ = self._output(["check", "--config", "{config}"], {"config": config}, "check")
        status = next((m.get("connectionStatus") for m in messages if m.get("type") == "CONNECTION_STATUS"), None)
        if not isinstance(status, dict):
            raise ConnectorError("ServerError", f"{self.installed.package} answered check with no CONNECTION_STATUS.")
        if status.get("status") != "SUCCEEDED":
            said = redact(str(status.get("message") or "the connection check failed"), self.secrets)
            raise ConnectorError("InvalidCredentials", f"The source's check failed: {said}")

    def discover(self, config: Mapping[str, Any]) -> list[Stream]:
        """The streams of the source's catalog."""
        messages, _ = self._output(["discover", "--config", "{config}"], {"config": config}, "discover")
        catalog = next((m.get("catalog") for m in messages if m.get("type") == "CATALOG"), None)
        if not isinstance(catalog, dict):
            raise ConnectorError("ServerError", f"{self.installed.package} answered discover with no CATALOG.")
        streams = []
        for raw in catalog.get("streams") or []:
            keys = raw.get("source_defined_primary_key") or []
            streams.append(Stream(
                name=str(raw.get("name")), schema=raw.get("json_schema") or {},
                incremental="incremental" in (raw.get("supported_sync_modes") or []),
                cursor=tuple(str(p) for p in raw.get("default_cursor_field") or []),
                primary_key=tuple(str(path[0]) for path in keys if path),
                raw=raw))
        return streams

    @staticmethod
    def configured_catalog(stream: Stream, incremental: bool) -> dict[str, Any]:
        """The ConfiguredAirbyteCatalog reading `stream` (incremental by its default cursor)."""
        entry: dict[str, Any] = {
            "stream": dict(stream.raw),
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append" if incremental else "overwrite",
            "primary_key": [[key] for key in stream.primary_key],
        }
        if incremental and stream.cursor:
            entry["cursor_field"] = list(stream.cursor)
        return {"streams": [entry]}

    def read(self, config: Mapping[str, Any], stream: Stream, incremental: bool, state: Any,
             should_stop: Callable[[], bool]) -> Iterator[Event]:
        """`read` of one stream."""
        args = ["read", "--config", "{config}", "--catalog", "{catalog}"]
        files: dict[str, Any] = {"config": config, "catalog": self.configured_catalog(stream, incremental)}
        if state is not None:
            args += ["--state", "{state}"]
            files["state"] = state
        return self.stream_read(args, files, should_stop)


def _metadata(raw: Mapping[str, Any], breadcrumb: Sequence[str] = ()) -> dict[str, Any]:
    for entry in raw.get("metadata") or []:
        if list(entry.get("breadcrumb") or []) == list(breadcrumb):
            return dict(entry.get("metadata") or {})
    return {}


class Singer(Runner):
    """A Singer tap."""

    parse = staticmethod(singer_event)

    def _spec(self) -> dict[str, Any]:
        """The tap's settings schema (`--about --format json`), or {} when it offers none."""
        try:
            _, text = self._output(["--about", "--format", "json"], {}, "--about")
            about = json.loads(text)
            settings = about.get("settings") if isinstance(about, dict) else None
        except (ConnectorError, ValueError):
            settings = None
        return settings if isinstance(settings, dict) else {}

    def discover(self, config: Mapping[str, Any]) -> list[Stream]:
        """The streams of the tap's `--discover` catalog."""
        _, text = self._output(["--config", "{config}", "--discover"], {"config": config}, "--discover")
        try:
            catalog = json.loads(text)
        except ValueError as exc:
            raise ConnectorError("ServerError",
                                 f"{self.installed.package} --discover printed no JSON catalog.") from exc
        streams = []
        for raw in catalog.get("streams") or []:
            top = _metadata(raw)
            keys = raw.get("key_properties") or top.get("table-key-properties") or []
            replication = list(top.get("valid-replication-keys") or [])
            forced = top.get("forced-replication-method")
            streams.append(Stream(
                name=str(raw.get("tap_stream_id") or raw.get("stream")), schema=raw.get("schema") or {},
                incremental=bool(replication) and forced != "FULL_TABLE",
                cursor=tuple(str(k) for k in replication[:1]),
                primary_key=tuple(str(k) for k in keys), raw=raw))
        return streams

    def check(self, config: Mapping[str, Any]) -> None:
        """Singer has no check: a discover that succeeds is the check."""
        try:
            self.discover(config)
        except ConnectorError as exc:
            raise ConnectorError("InvalidCredentials", f"The tap's discovery failed: {exc.message}") from exc

    @staticmethod
    def configured_catalog(stream: Stream, incremental: bool) -> dict[str, Any]:
        """The catalog with `stream` alone selected (and every one of its properties)."""
        entry = json.loads(json.dumps(stream.raw))
        metadata = [m for m in entry.get("metadata") or [] if list(m.get("breadcrumb") or [])]
        top = _metadata(stream.raw)
        top["selected"] = True
        top["replication-method"] = "INCREMENTAL" if incremental else "FULL_TABLE"
        if incremental and stream.cursor:
            top["replication-key"] = stream.cursor[0]
        for item in metadata:
            item.setdefault("metadata", {})["selected"] = True
        entry["metadata"] = [{"breadcrumb": [], "metadata": top}, *metadata]
        entry["selected"] = True  # older taps read the stream-level flag
        return {"streams": [entry]}

    def read(self, config: Mapping[str, Any], stream: Stream, incremental: bool, state: Any,
             should_stop: Callable[[], bool]) -> Iterator[Event]:
        """A sync of one stream."""
        args = ["--config", "{config}", "--catalog", "{catalog}"]
        files: dict[str, Any] = {"config": config, "catalog": self.configured_catalog(stream, incremental)}
        if state is not None:
            args += ["--state", "{state}"]
            files["state"] = state
        return self.stream_read(args, files, should_stop)


def runner(protocol: str, installed: Installed, secrets: Sequence[str] = (),
           on_refused: Callable[[str], None] | None = None) -> Airbyte | Singer:
    """The protocol runner of a connector."""
    kind = Airbyte if protocol == "airbyte" else Singer
    return kind(installed, secrets, on_refused)
