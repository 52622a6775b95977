"""AWS-managed connectors (connectors layer): CustomConnector labels that need no RegisterConnector.

`spec(label)` is the `ConnectorSpec` that serves a managed `connectorLabel`: its
`ConnectorConfiguration` is the catalog's declaration (`catalog.MANAGED`), its profile check the
declaration's (`profile_check`), chained with the data-path package's own when one is built
(`data_paths.DATA_PATHS`); otherwise runs end `Error` naming the missing data path (`unbuilt`).
The service reads it for CreateConnectorProfile, CreateFlow and DescribeConnector(s); the engine
reaches it through `registry.spec_for`. See docs/connectors/managed.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache, partial
from typing import Any

from sluice.connectors.base import ConnectorSpec, ProfileView
from sluice.connectors.managed import data_paths, profile_check
from sluice.connectors.managed.catalog import BY_LABEL, MANAGED
from sluice.connectors.managed.declaration import CONNECTOR_TYPE, Managed
from sluice.connectors.managed.unbuilt import Unbuilt
from sluice.connectors.managed.unbuilt import message as unbuilt_message

__all__ = ["LABELS", "all_specs", "configuration", "data_path_built", "declaration", "is_managed", "spec",
           "unbuilt_message"]

LABELS: tuple[str, ...] = tuple(declaration.label for declaration in MANAGED)


def declaration(label: str | None) -> Managed | None:
    """The declaration of a managed label (exact spelling), or None."""
    return BY_LABEL.get(label) if label else None


def is_managed(label: str | None) -> bool:
    """True when `label` is an AWS-managed connector's label."""
    return declaration(label) is not None


def configuration(label: str) -> Mapping[str, Any]:
    """The `ConnectorConfiguration` DescribeConnector answers for a managed label."""
    found = declaration(label)
    if found is None:
        raise KeyError(label)
    return found.configuration


def data_path_built(label: str) -> bool:
    """True when a Sluice package moves data for `label`."""
    return label in data_paths.DATA_PATHS


def _checked(declared: Managed, then: Callable[[ProfileView], Mapping[str, Any]] | None,
             profile: ProfileView) -> Mapping[str, Any]:
    """The declaration's checks, then the data path's own (which may exchange or refresh tokens).

    An update that keeps the stored credentials sends none: only the declaration's checks of the
    properties run then, since the data path has nothing to test against the application."""
    credentials = profile_check.check_profile(declared, profile)
    if then is None or not profile.credentials:
        return credentials
    return then(profile)


@cache
def spec(label: str | None) -> ConnectorSpec | None:
    """The spec serving a managed `label`, or None when `label` is not a managed connector's."""
    declared = declaration(label)
    if declared is None:
        return None
    built = data_paths.load(declared.label)
    if built is None:
        unbuilt = Unbuilt(declared.label)
        return ConnectorSpec(
            connector_type=CONNECTOR_TYPE,
            capabilities=declared.configuration,
            label=declared.label,
            check_profile=partial(_checked, declared, None),
            open_source=unbuilt.open_source if declared.source else None,
            open_destination=unbuilt.open_destination if declared.destination else None,
        )
    return replace(built, connector_type=CONNECTOR_TYPE, label=declared.label, capabilities=declared.configuration,
                   check_profile=partial(_checked, declared, built.check_profile))


def all_specs() -> list[ConnectorSpec]:
    """The spec of every managed label, in catalog order."""
    return [found for found in (spec(label) for label in LABELS) if found is not None]
