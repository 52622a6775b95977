"""`rest_spec`: a REST connector's registry entry, without importing it (connectors layer).

A vendor `__init__` writes `SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.x.connector")`:
the module named is imported (and its `CONNECTOR`, a `RestConnector`, used) on the first call,
so importing the registry stays cheap (style point 7).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from sluice.connectors.base import ConnectorSpec


def _bound(module: str, method: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        connector = importlib.import_module(module).CONNECTOR
        return getattr(connector, method)(*args, **kwargs)

    call.__name__ = call.__qualname__ = f"lazy({module}:CONNECTOR.{method})"
    return call


def _hosts(module: str) -> Callable[[], tuple[str, ...]]:
    def hosts() -> tuple[str, ...]:
        return tuple(importlib.import_module(module).CONNECTOR.api.vendor_hosts())

    return hosts


def rest_spec(connector_type: str, capabilities: Mapping[str, Any], module: str, *,
              destination: bool = False, entities_fixed: bool = True) -> ConnectorSpec:
    """The `ConnectorSpec` of a REST connector whose `CONNECTOR` lives in `module`."""
    return ConnectorSpec(
        connector_type=connector_type,
        capabilities=capabilities,
        load_metadata=_bound(module, "metadata"),
        open_source=_bound(module, "open_source") if capabilities.get("canUseAsSource") else None,
        open_destination=_bound(module, "open_destination") if destination else None,
        cleanup_destination=_bound(module, "cleanup_destination") if destination else None,
        check_profile=_bound(module, "check_profile"),
        vendor_hosts=_hosts(module),
        entities_fixed=entities_fixed,
    )
