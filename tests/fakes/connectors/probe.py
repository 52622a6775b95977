"""A connector that reports what its worker process can see, for the security suite.

ListEntities answers one entity whose label is a JSON report: the worker's uid, its working
directory and what is in it, its environment's variable names, and for each path in the
profile's `probePaths` runtime setting (comma-separated) the outcome of opening it for reading
(`read N bytes`, or the exception's class name such as `PermissionError`). Every other request
is the offline connector's. Handler: `tests/fakes/connectors/probe.py:lambda_handler`.
"""

from __future__ import annotations

import json
import os
from typing import Any

try:
    from tests.fakes.connectors import offline
except ImportError:  # loaded by file path, with this folder on sys.path
    import offline  # type: ignore[no-redef]


def _open(path: str) -> str:
    try:
        if os.path.isdir(path):
            return f"listed {len(os.listdir(path))} entries"
        with open(path, "rb") as handle:
            return f"read {len(handle.read(64))} bytes"
    except OSError as exc:
        return type(exc).__name__


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    if event.get("type") != "ListEntitiesRequest":
        return offline.lambda_handler(event, context)
    settings = (event.get("connectorContext") or {}).get("connectorRuntimeSettings") or {}
    report = {
        "uid": os.getuid(),
        "cwd": os.getcwd(),
        "cwd_entries": sorted(os.listdir(".")),
        "env": sorted(os.environ),
        "opened": {path: _open(path) for path in str(settings.get("probePaths") or "").split(",") if path},
    }
    return {"isSuccess": True, "entities": [{"entityIdentifier": "report", "hasNestedEntities": False,
                                            "isWritable": False, "label": json.dumps(report)}]}
