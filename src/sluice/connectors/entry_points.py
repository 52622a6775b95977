"""Third-party connector plug-ins (connectors layer): the one place entry points are read.

A distribution offers a connector by declaring, in its packaging metadata,

    [project.entry-points."sluice.connectors"]
    my_connector = "my_package.connector:SPEC"

where the object is a `ConnectorSpec` or a zero-argument callable returning one. Built-in types
never come through here; they are listed explicitly in `sluice.connectors.registry`. A plug-in
that fails to load is logged and skipped, so one broken distribution cannot stop the server.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from sluice.connectors.base import ConnectorSpec

GROUP = "sluice.connectors"

log = logging.getLogger(__name__)


def load_plugin_specs(group: str = GROUP) -> list[ConnectorSpec]:
    """The specs of every installed plug-in in `group`, in entry-point name order."""
    specs: list[ConnectorSpec] = []
    for entry_point in sorted(entry_points(group=group), key=lambda ep: ep.name):
        try:
            loaded = entry_point.load()
            spec = loaded if isinstance(loaded, ConnectorSpec) else loaded()
        except Exception:
            log.exception("connector plug-in %r (%s) failed to load", entry_point.name, entry_point.value)
            continue
        if not isinstance(spec, ConnectorSpec):
            log.error(
                "connector plug-in %r (%s) gave %s, not a ConnectorSpec",
                entry_point.name,
                entry_point.value,
                type(spec).__name__,
            )
            continue
        specs.append(spec)
    return specs
