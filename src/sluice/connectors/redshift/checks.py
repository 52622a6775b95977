"""CreateFlow/UpdateFlow checks of `RedshiftDestinationProperties` (connectors layer; imports nothing heavy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_properties(props: Mapping[str, Any], role: str, flow_name: str) -> None:
    """Raise ValueError when `object` cannot name a Redshift table (`schema.table` or `table`)."""
    name = str(props.get("object") or "").strip()
    parts = name.split(".")
    if not name or len(parts) > 2 or not all(p.strip().strip('"') for p in parts) or "\x00" in name:
        raise ValueError(f"The Redshift {role}'s object must name a table as schema.table, not {name!r}.")
