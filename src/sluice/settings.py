"""Process settings below every layer: one frozen dataclass per concern, read once.

`sluice serve` builds `ProcessSettings.from_mapping(os.environ, ...)` once at start and
`install`s it; connectors and the engine ask `current()` through their own small accessors
(`connectors/salesforce/settings.py`, `custom_connector/limits.py`, `s3/storage.py`, ...). Nothing
writes `os.environ` to pass a setting on. `use()` scopes other settings to a block (a test, or a
second server in one process), and without either `current()` reads the environment afresh on
every call, so a value one test sets does not outlive it.

Every name here is in the README's configuration table (tests/unit/test_readme_configuration.py).
A malformed value is a `SettingsError` naming the variable, for the server's settings
(`config.py`) and the connectors' alike.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar


class SettingsError(ValueError):
    """A `SLUICE_*` variable whose value is not one the setting can take."""


def text(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value, None when unset or empty."""
    return env.get(name) or None


def _finite(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


T = TypeVar("T", int, float)


def _read(env: Mapping[str, str], name: str, default: T, minimum: T | None, convert: Callable[[str], T],
          what: str) -> T:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = convert(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, not {raw!r}") from None
    return value if minimum is None else max(minimum, value)


def number(env: Mapping[str, str], name: str, default: float, *, minimum: float | None = None) -> float:
    """A decimal setting; `default` when unset, raised to `minimum`; SettingsError when not a number."""
    return _read(env, name, default, minimum, _finite, "a number")


def whole(env: Mapping[str, str], name: str, default: int, *, minimum: int | None = None) -> int:
    """A whole-number setting; `default` when unset, raised to `minimum`; SettingsError otherwise."""
    return _read(env, name, default, minimum, int, "a whole number")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no setting (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`); False when unset."""
    raw = (env.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE or not raw:
        return False
    raise SettingsError(f"{name} must be true or false, not {env[name]!r}")


def names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list setting; () when unset."""
    return tuple(part.strip() for part in (env.get(name) or "").split(",") if part.strip())


DEFAULT_SALESFORCE_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_SALESFORCE_SANDBOX_LOGIN_URL = "https://test.salesforce.com"


@dataclass(frozen=True)
class SalesforceSettings:
    """The Salesforce connector's hosts, connected app and retry knobs (docs/salesforce-wire.md)."""

    login_url: str = DEFAULT_SALESFORCE_LOGIN_URL
    sandbox_login_url: str = DEFAULT_SALESFORCE_SANDBOX_LOGIN_URL
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    max_attempts: int = 5
    backoff_base: float = 0.5
    timeout: float = 120.0
    bulk_page_records: int = 100_000
    # AppFlow documents 1,000,000 records as the point where AUTOMATIC switches to Bulk API 2.0.
    bulk_threshold: int = 1_000_000
    bulk_max_wait: float = 3600.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> SalesforceSettings:
        """The settings `SLUICE_SALESFORCE_*` variables give."""
        endpoint = (text(env, "SLUICE_ENDPOINT_URL_SALESFORCE") or "").rstrip("/") or None
        return cls(
            # SLUICE_ENDPOINT_URL_SALESFORCE stands for both login hosts, as AWS_ENDPOINT_URL_<SERVICE> would.
            login_url=text(env, "SLUICE_SALESFORCE_LOGIN_URL") or endpoint or DEFAULT_SALESFORCE_LOGIN_URL,
            sandbox_login_url=text(env, "SLUICE_SALESFORCE_SANDBOX_LOGIN_URL")
            or endpoint or DEFAULT_SALESFORCE_SANDBOX_LOGIN_URL,
            client_id=text(env, "SLUICE_SALESFORCE_CLIENT_ID"),
            client_secret=text(env, "SLUICE_SALESFORCE_CLIENT_SECRET"),
            max_attempts=whole(env, "SLUICE_SALESFORCE_MAX_ATTEMPTS", 5, minimum=1),
            backoff_base=number(env, "SLUICE_SALESFORCE_BACKOFF_BASE", 0.5, minimum=0.0),
            timeout=number(env, "SLUICE_SALESFORCE_TIMEOUT", 120.0, minimum=1.0),
            bulk_page_records=whole(env, "SLUICE_SALESFORCE_BULK_PAGE_RECORDS", 100_000, minimum=1),
            bulk_threshold=whole(env, "SLUICE_SALESFORCE_BULK_THRESHOLD", 1_000_000, minimum=0),
            bulk_max_wait=number(env, "SLUICE_SALESFORCE_BULK_MAX_WAIT", 3600.0, minimum=1.0),
        )


@dataclass(frozen=True)
class ConnectorSettings:
    """Connectors: custom connectors' call timeout, links file, workers' memory and the Lambda
    functions every account may invoke; and whether vendor calls may reach private endpoints."""

    timeout: float | None = None
    links_file: str | None = None
    worker_memory_mb: int = 1024
    lambda_allowed_arns: tuple[str, ...] = ()
    allow_private_endpoints: bool = False

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> ConnectorSettings:
        """The settings `SLUICE_CONNECTOR_*` and `SLUICE_WORKER_MEMORY_MB` give."""
        timeout = number(env, "SLUICE_CONNECTOR_TIMEOUT", 0.0)
        if env.get("SLUICE_CONNECTOR_TIMEOUT") and timeout <= 0:
            raw = env["SLUICE_CONNECTOR_TIMEOUT"]
            raise SettingsError(f"SLUICE_CONNECTOR_TIMEOUT must be a positive number, not {raw!r}")
        return cls(
            timeout=timeout or None,
            links_file=text(env, "SLUICE_CONNECTOR_LINKS"),
            # 0 or less: no address-space limit on local workers.
            worker_memory_mb=whole(env, "SLUICE_WORKER_MEMORY_MB", 1024),
            lambda_allowed_arns=names(env, "SLUICE_LAMBDA_ALLOWED_ARNS"),
            allow_private_endpoints=flag(env, "SLUICE_ALLOW_PRIVATE_ENDPOINTS"),
        )


@dataclass(frozen=True)
class RestSettings:
    """SaaS connectors on the shared REST layer (connectors/rest/): retries and request timeout.

    One setting serves every type: vendors' limits differ, but what the operator tunes (how long a
    run may sit out throttling) does not.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    timeout: float = 60.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> RestSettings:
        """The settings `SLUICE_REST_MAX_ATTEMPTS`, `SLUICE_REST_BACKOFF_BASE` and `SLUICE_REST_TIMEOUT` give."""
        return cls(
            max_attempts=whole(env, "SLUICE_REST_MAX_ATTEMPTS", 5, minimum=1),
            backoff_base=number(env, "SLUICE_REST_BACKOFF_BASE", 1.0, minimum=0.0),
            timeout=number(env, "SLUICE_REST_TIMEOUT", 60.0, minimum=1.0),
        )


S3_BACKENDS = ("local", "aws")


@dataclass(frozen=True)
class S3Settings:
    """The S3 connector: its object store (`local`, `aws`, or None to choose by the AWS endpoint
    settings), how many output files a destination keeps open, and the publish test hook's delay."""

    backend: str | None = None
    max_open_files: int = 128
    publish_delay_ms: float = 0.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> S3Settings:
        """The settings `SLUICE_S3_BACKEND`, `SLUICE_S3_MAX_OPEN_FILES` and `SLUICE_TEST_PUBLISH_DELAY_MS` give."""
        backend = (env.get("SLUICE_S3_BACKEND") or "").strip().lower() or None
        if backend is not None and backend not in S3_BACKENDS:
            raise SettingsError(f"SLUICE_S3_BACKEND must be 'local' or 'aws', not {backend!r}")
        return cls(
            backend,
            max_open_files=whole(env, "SLUICE_S3_MAX_OPEN_FILES", 128, minimum=1),
            publish_delay_ms=number(env, "SLUICE_TEST_PUBLISH_DELAY_MS", 0.0, minimum=0.0),
        )


@dataclass(frozen=True)
class ServiceNowSettings:
    """The ServiceNow connector: records asked for per Table API page (`sysparm_limit`)."""

    # The Table API's own default page; smaller pages keep each request inside the instance's
    # REST transaction quota on wide tables.
    page_size: int = 10_000

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> ServiceNowSettings:
        """The settings `SLUICE_SERVICENOW_PAGE_SIZE` gives."""
        return cls(page_size=whole(env, "SLUICE_SERVICENOW_PAGE_SIZE", 10_000, minimum=1))


METRICS_MODES = ("off", "loopback", "open")


@dataclass(frozen=True)
class ObservabilitySettings:
    """Run reports and metrics: EventBridge events, webhook retries, and who may read `/metrics`.

    `metrics` is `loopback` by default (only clients on 127.0.0.1/::1 may read it), `open` for
    anyone, `off` for nobody; with `metrics_token` set, a client presenting
    `Authorization: Bearer <token>` may read it whatever the mode (unless `off`).
    """

    eventbridge: bool = False
    eventbridge_source: str = "aws.appflow"
    metrics: str = "loopback"
    metrics_token: str | None = field(default=None, repr=False)
    webhook_max_attempts: int = 6
    webhook_backoff_base: float = 2.0
    webhook_timeout: float = 10.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> ObservabilitySettings:
        """The settings `SLUICE_EVENTBRIDGE`, `SLUICE_METRICS[_TOKEN]` and `SLUICE_WEBHOOK_*` give."""
        metrics = (env.get("SLUICE_METRICS") or "loopback").strip().lower()
        if metrics not in METRICS_MODES:
            raise SettingsError(f"SLUICE_METRICS must be off, loopback or open, not {metrics!r}")
        return cls(
            eventbridge=flag(env, "SLUICE_EVENTBRIDGE"),
            eventbridge_source=text(env, "SLUICE_EVENTBRIDGE_SOURCE") or "aws.appflow",
            metrics=metrics,
            metrics_token=text(env, "SLUICE_METRICS_TOKEN"),
            webhook_max_attempts=whole(env, "SLUICE_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1),
            webhook_backoff_base=number(env, "SLUICE_WEBHOOK_BACKOFF_BASE", 2.0, minimum=0.0),
            webhook_timeout=number(env, "SLUICE_WEBHOOK_TIMEOUT", 10.0, minimum=1.0),
        )


EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class ClusterSettings:
    """Where a run's splits are read and transformed: this process (`local`) or a Ray cluster.

    `ray_address` is what `ray.init` connects to: a running cluster's `host:port` (this machine
    must be one of its nodes), `auto` (the cluster of the node this machine runs) or
    `ray://host:port` (Ray Client). The server never starts a cluster (docs/deploy.md).
    """

    executor: str = "local"
    ray_address: str | None = None

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> ClusterSettings:
        """The settings `SLUICE_EXECUTOR` and `SLUICE_RAY_ADDRESS` give."""
        executor = (env.get("SLUICE_EXECUTOR") or "local").strip().lower()
        if executor not in EXECUTORS:
            raise SettingsError(f"SLUICE_EXECUTOR must be local or ray, not {executor!r}")
        address = text(env, "SLUICE_RAY_ADDRESS")
        if executor == "ray" and address is None:
            raise SettingsError("SLUICE_EXECUTOR=ray needs SLUICE_RAY_ADDRESS: a running Ray cluster's "
                                "host:port, auto, or ray://host:port")
        return cls(executor, address.strip() if address else None)


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


def default_parallelism() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not every platform has affinity
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ProcessSettings:
    """Everything below the server's own settings that connectors and the engine read."""

    data_dir: str
    public_url: str = DEFAULT_PUBLIC_URL
    # How long a server's claim on a run lasts without renewal (engine/leases.py).
    run_lease_seconds: float = 30.0
    # How often a running run writes its progress, details and new events (engine/run_observer.py).
    run_progress_seconds: float = 2.0
    # Threads one run reads, transforms and stages its splits on (engine/parallel.py); the
    # default is every core the process may use.
    parallelism: int = field(default_factory=lambda: default_parallelism())
    # Where splits run: this process, or a Ray cluster (engine/ray_executor.py).
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    connectors: ConnectorSettings = field(default_factory=ConnectorSettings)
    s3: S3Settings = field(default_factory=S3Settings)
    salesforce: SalesforceSettings = field(default_factory=SalesforceSettings)
    rest: RestSettings = field(default_factory=RestSettings)
    servicenow: ServiceNowSettings = field(default_factory=ServiceNowSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)

    @classmethod
    def from_mapping(
        cls, env: Mapping[str, str], *, data_dir: str | Path | None = None, public_url: str | None = None
    ) -> ProcessSettings:
        """The settings `env` gives; `data_dir` and `public_url` (the server's own) win over it."""
        return cls(
            data_dir=str(Path(data_dir or text(env, "SLUICE_DATA_DIR") or ".sluice").resolve()),
            public_url=public_url or text(env, "SLUICE_PUBLIC_URL") or DEFAULT_PUBLIC_URL,
            run_lease_seconds=number(env, "SLUICE_RUN_LEASE_SECONDS", 30.0, minimum=1.0),
            run_progress_seconds=number(env, "SLUICE_RUN_PROGRESS_SECONDS", 2.0, minimum=0.1),
            parallelism=whole(env, "SLUICE_PARALLELISM", default_parallelism(), minimum=1),
            cluster=ClusterSettings.from_mapping(env),
            connectors=ConnectorSettings.from_mapping(env),
            s3=S3Settings.from_mapping(env),
            salesforce=SalesforceSettings.from_mapping(env),
            rest=RestSettings.from_mapping(env),
            servicenow=ServiceNowSettings.from_mapping(env),
            observability=ObservabilitySettings.from_mapping(env),
        )


_installed: ProcessSettings | None = None
_scoped: ContextVar[ProcessSettings | None] = ContextVar("sluice_settings", default=None)


def install(settings: ProcessSettings | None) -> None:
    """Make `settings` this process's (`sluice serve` at start); None goes back to the environment."""
    global _installed
    _installed = settings


@contextmanager
def use(settings: ProcessSettings) -> Iterator[ProcessSettings]:
    """`settings` for the current context (thread or task) until the block ends."""
    token = _scoped.set(settings)
    try:
        yield settings
    finally:
        _scoped.reset(token)


def current() -> ProcessSettings:
    """The settings in force: the block's (`use`), else the installed ones, else the environment's now."""
    return _scoped.get() or _installed or ProcessSettings.from_mapping(os.environ)
