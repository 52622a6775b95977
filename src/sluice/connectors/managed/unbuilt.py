"""What a managed label without a data path does at run time (connectors layer).

Its definitions are accepted - AppFlow accepts them - but Sluice cannot talk to the application
yet, so a run that would read from or write to it ends `Error` with a message naming the missing
data path, before any record moves (the same path `connectors.retired` takes for retired services).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext


def message(label: str) -> str:
    """The sentence every refusal of an unbuilt managed label carries."""
    return (f"data path for the managed connector {label} not built: Sluice accepts its profiles and flows, "
            "but cannot read from or write to it yet (see docs/connectors/managed.md)")


@dataclass(frozen=True, slots=True)
class Unbuilt:
    """The run-time side of one unbuilt managed label."""

    label: str

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Any:
        """`ConnectorSpec.open_source`: the run ends Error naming the missing data path."""
        raise ConnectorError("InvalidArgument", message(self.label))

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Any:
        """`ConnectorSpec.open_destination`: the run ends Error naming the missing data path."""
        raise ConnectorError("InvalidArgument", message(self.label))
