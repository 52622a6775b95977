"""The server settings an admin command works on: the environment's, with the command's options on top."""

from __future__ import annotations

import argparse
from pathlib import Path

from sluice.config import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """`Settings.from_env()` with `--data-dir`, `--host`, `--port`, `--workers` and `--processes` applied."""
    settings = Settings.from_env()
    if getattr(args, "data_dir", None):
        settings.data_dir = Path(args.data_dir).resolve()
    if getattr(args, "host", None):
        settings.host = args.host
    if getattr(args, "port", None) is not None:
        settings.port = args.port
    if getattr(args, "workers", None) is not None:
        settings.workers = args.workers
    if getattr(args, "processes", None) is not None:
        settings.processes = args.processes
    return settings
