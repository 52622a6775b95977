"""Deferred imports for connector declarations (connectors layer).

A connector's `__init__` is its declaration: the registry imports every one of them, so they must
not import pyarrow, httpx or boto3. `lazy("pkg.module:name")` stands in for `name` in a
`ConnectorSpec` and imports its module on the first call, the way dlt's destination factories
import their clients.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(path: str) -> Callable[..., Any]:
    """A callable that imports `module:name` when first called and calls it with the same arguments."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{path!r} is not module:name")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module_name), attribute)(*args, **kwargs)

    call.__name__ = call.__qualname__ = f"lazy({path})"
    return call
