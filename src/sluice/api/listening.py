"""Where `sluice serve` listens: checked before anything is printed, and remembered in the data dir.

A second server on a taken port must fail at once with a clear message instead of printing
"serving ..." (and handing out keys) before uvicorn's bind fails. And admin commands that print
`AWS_ENDPOINT_URL_APPFLOW` (`sluice accounts credentials`) must name the port the server really
uses, not the default: `serve` writes its endpoint to `<data dir>/endpoint`, which they read.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

ENDPOINT_FILE = "endpoint"


class PortInUse(Exception):
    """The listen address cannot be bound (taken, or not this host's)."""


def check_bindable(host: str, port: int) -> None:
    """Bind and release `host:port` as uvicorn will (SO_REUSEADDR), or raise `PortInUse`.

    On Linux SO_REUSEADDR still refuses a port another socket listens on, so this catches a
    running server without refusing a port merely in TIME_WAIT.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"{host}:{port} is already in use (is another `sluice serve` running?); "
                                "pick another port with --port or SLUICE_PORT") from exc
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def remember(data_dir: Path, endpoint: str) -> None:
    """Record the endpoint this data dir's server listens on."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / ENDPOINT_FILE).write_text(endpoint + "\n", encoding="utf-8")


def remembered(data_dir: Path) -> str | None:
    """The endpoint the last `serve` on this data dir recorded, or None."""
    try:
        text = (data_dir / ENDPOINT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if text.startswith(("http://", "https://")) else None
