"""Server settings from the command line and the environment.

Every setting has an environment variable (documented in the README's configuration table);
command-line flags override the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


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

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (for worker processes)."""
        env = {
            "SLUICE_DATA_DIR": str(self.data_dir),
            "SLUICE_HOST": self.host,
            "SLUICE_PORT": str(self.port),
            "SLUICE_WORKERS": str(self.workers),
            "SLUICE_PROCESSES": str(self.processes),
            "SLUICE_MAX_CONNECTOR_PROFILES": str(self.max_profiles),
            "SLUICE_MAX_FLOWS": str(self.max_flows),
            "SLUICE_LOG_LEVEL": self.log_level,
            "SLUICE_SCHEDULER_SPEEDUP": str(self.scheduler_speedup),
            "SLUICE_MAX_HEADER_BYTES": str(self.max_header_bytes),
            "SLUICE_HEADER_TIMEOUT_SECONDS": str(self.header_timeout_seconds),
        }
        if self.regions:
            env["SLUICE_REGIONS"] = ",".join(self.regions)
        if self.scheduler_epoch is not None:
            env["SLUICE_SCHEDULER_EPOCH"] = str(self.scheduler_epoch)
        for name, value in (
            ("SLUICE_DATABASE_URL", self.database_url),
            ("SLUICE_ACCESS_KEY_ID", self.access_key_id),
            ("SLUICE_SECRET_ACCESS_KEY", self.secret_access_key),
            ("SLUICE_MASTER_KEY", self.master_key),
        ):
            if value:
                env[name] = value
        return env

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from `SLUICE_*` environment variables, with the embedded defaults."""
        return cls(
            data_dir=Path(os.environ.get("SLUICE_DATA_DIR") or ".sluice").resolve(),
            database_url=os.environ.get("SLUICE_DATABASE_URL") or None,
            host=os.environ.get("SLUICE_HOST") or "127.0.0.1",
            port=_int("SLUICE_PORT", 8080),
            access_key_id=os.environ.get("SLUICE_ACCESS_KEY_ID") or None,
            secret_access_key=os.environ.get("SLUICE_SECRET_ACCESS_KEY") or None,
            master_key=os.environ.get("SLUICE_MASTER_KEY") or None,
            workers=_int("SLUICE_WORKERS", os.cpu_count() or 2),
            processes=_int("SLUICE_PROCESSES", 1),
            max_profiles=_int("SLUICE_MAX_CONNECTOR_PROFILES", 100),
            max_flows=_int("SLUICE_MAX_FLOWS", 1000),
            log_level=os.environ.get("SLUICE_LOG_LEVEL") or "info",
            scheduler_speedup=float(os.environ.get("SLUICE_SCHEDULER_SPEEDUP") or 1.0),
            scheduler_epoch=float(os.environ["SLUICE_SCHEDULER_EPOCH"]) if os.environ.get("SLUICE_SCHEDULER_EPOCH")
            else None,
            max_header_bytes=_int("SLUICE_MAX_HEADER_BYTES", 64 * 1024),
            header_timeout_seconds=float(os.environ.get("SLUICE_HEADER_TIMEOUT_SECONDS") or 10.0),
            regions=tuple(r.strip() for r in (os.environ.get("SLUICE_REGIONS") or "").split(",") if r.strip()),
        )
