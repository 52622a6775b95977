"""Serve the JDBC and Amazon RDS for PostgreSQL packages as native plug-ins, for a test server.

Until the managed-label catalog resolves `JDBCsmall` and `AmazonRDSPostgreSQL` to their packages
itself, a test makes a server know them the way any plug-in is known: an entry point in the
`sluice.connectors` group. `plugin_path(dir)` writes a minimal distribution record (a
`.dist-info` folder with `entry_points.txt`) naming the two built-in specs, and returns the
PYTHONPATH the server needs to see it.
"""

from __future__ import annotations

import os
from pathlib import Path

ENTRY_POINTS = """[sluice.connectors]
jdbc = sluice.connectors.jdbc:SPEC
rds_postgresql = sluice.connectors.rds_postgresql:SPEC
"""


def plugin_path(folder: Path) -> str:
    """A PYTHONPATH (the folder first) under which the two specs are installed plug-ins."""
    info = folder / "sluice_managed_databases-0.0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sluice-managed-databases\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
