"""Server settings from the command line and the environment.

Every setting has an environment variable (documented in the README's configuration table);
command-line flags override the environment. A malformed value is a `SettingsError` naming the
variable. What connectors and the engine read lives in `sluice.settings`; `process_settings`
builds it from the same environment, once, when the server starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sluice.settings import ProcessSettings, SettingsError, number, text, whole

__all__ = ["Settings", "SettingsError"]


@dataclass(slots=True)
class Settings:
    """Everything `sluice serve` and the admin commands need to know."""

    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    access_key_id: str | None = None
    secret_access_key: str | None = None
    master_key: str | None = None
    workers: int = os.cpu_count() or 2
    processes: int = 1
    max_profiles: int = 100
    max_flows: int = 1000
    log_level: str = "info"
    # Scheduler clock for tests and demos: from the instant `scheduler_epoch` (default: start),
    # schedule time runs `scheduler_speedup` times faster than real time.
    scheduler_speedup: float = 1.0
    scheduler_epoch: float | None = None
    # Request heads (request line + headers): at most this many bytes, all within this many seconds.
    max_header_bytes: int = 64 * 1024
    header_timeout_seconds: float = 10.0
    # Regions a credential scope may name; empty: any name shaped like a region (us-east-1).
    regions: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from `SLUICE_*` variables of `env` (default `os.environ`), with the embedded defaults."""
        env = os.environ if env is None else env
        epoch = env.get("SLUICE_SCHEDULER_EPOCH")
        return cls(
            data_dir=Path(text(env, "SLUICE_DATA_DIR") or ".sluice").resolve(),
            database_url=text(env, "SLUICE_DATABASE_URL"),
            host=text(env, "SLUICE_HOST") or "127.0.0.1",
            port=whole(env, "SLUICE_PORT", 8080),
            access_key_id=text(env, "SLUICE_ACCESS_KEY_ID"),
            secret_access_key=text(env, "SLUICE_SECRET_ACCESS_KEY"),
            master_key=text(env, "SLUICE_MASTER_KEY"),
            workers=whole(env, "SLUICE_WORKERS", os.cpu_count() or 2),
            processes=whole(env, "SLUICE_PROCESSES", 1),
            max_profiles=whole(env, "SLUICE_MAX_CONNECTOR_PROFILES", 100),
            max_flows=whole(env, "SLUICE_MAX_FLOWS", 1000),
            log_level=text(env, "SLUICE_LOG_LEVEL") or "info",
            scheduler_speedup=number(env, "SLUICE_SCHEDULER_SPEEDUP", 1.0),
            scheduler_epoch=number(env, "SLUICE_SCHEDULER_EPOCH", 0.0) if epoch else None,
            max_header_bytes=whole(env, "SLUICE_MAX_HEADER_BYTES", 64 * 1024, minimum=1024),
            header_timeout_seconds=number(env, "SLUICE_HEADER_TIMEOUT_SECONDS", 10.0),
            regions=tuple(r.strip() for r in (text(env, "SLUICE_REGIONS") or "").split(",") if r.strip()),
        )

    @property
    def public_url(self) -> str:
        """Where processes on this machine reach the server (a wildcard listen address is reached on loopback)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def process_settings(self, env: Mapping[str, str] | None = None) -> ProcessSettings:
        """The connectors' and engine's settings for a server with these settings: `env`'s, with
        this data dir, and `SLUICE_PUBLIC_URL` defaulting to the address the server listens on."""
        env = os.environ if env is None else env
        return ProcessSettings.from_mapping(
            env, data_dir=self.data_dir, public_url=text(env, "SLUICE_PUBLIC_URL") or self.public_url
        )
