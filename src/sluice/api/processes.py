"""`sluice serve --processes N` (API layer): N server processes sharing one listening socket.

uvicorn's own multi-process mode only takes an import string, so each process would have to
rebuild its settings from the environment, which the parent would then have to write. Instead
the parent binds the socket and hands every child the settings it already read, as arguments.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from sluice import logs
from sluice.api import http_server
from sluice.api.app import SluiceApp
from sluice.api.runtime import open_runtime
from sluice.config import Settings
from sluice.settings import ProcessSettings, install


def metrics_folder(data_dir: Path) -> None:
    """Have every child count into one `prometheus_client` multiprocess folder, so `/metrics` on
    any process shows the whole server's counts.

    The folder is `PROMETHEUS_MULTIPROC_DIR` when the operator set it, else `<data dir>/metrics`;
    it is emptied at start (samples of a previous life would be added again). `prometheus_client`
    reads that variable when a child imports it, which is why it is set here, before they start.
    """
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "metrics")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def app_for_process(settings: Settings, process: ProcessSettings) -> SluiceApp:
    """ASGI factory run in each child: install the parent's settings, open this process's runtime."""
    install(process)
    logs.configure(settings.log_level)  # a spawned process starts with logging unconfigured
    http_server.configure(settings.max_header_bytes, settings.header_timeout_seconds)  # this process's limits
    return SluiceApp(open_runtime(settings))


def serve_processes(settings: Settings, process: ProcessSettings, **server: Any) -> None:
    """Run `settings.processes` servers until interrupted; `server` is uvicorn's (host, port, ...)."""
    metrics_folder(Path(process.data_dir))
    config = uvicorn.Config(
        functools.partial(app_for_process, settings, process), factory=True, workers=settings.processes, **server
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()
