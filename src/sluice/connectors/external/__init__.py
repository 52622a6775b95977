"""Any Airbyte source or Singer tap as a CustomConnector label (connectors layer).

A profile with `connectorType: CustomConnector` and a `connectorLabel` of the form
`airbyte.<source-name>[@version]`, `singer.<tap-name>[@version]` (the `/` spellings too where a
label is not checked against AppFlow's pattern) or an operator alias (`labels.py`) runs that
connector, with no RegisterConnector: installed from PyPI into its own virtual environment on
first use (`install.py`), run as a subprocess speaking its protocol (`protocols.py`), its config
schema turned into the label's ConnectorConfiguration (`settings_map.py`), its streams into
entities and their JSON schemas into typed fields (`fields.py`), its records into Arrow batches
and its STATE into the flow's incremental watermark (`source.py`, `state.py`).

`spec(label)` is cheap (nothing is installed until the label's configuration, metadata, profile
check or a run needs it): `registry.spec_for` and the service's catalog call it for every
CustomConnector label. RegisterConnector refuses these labels (they are Sluice's own). See
docs/connectors/external.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from sluice.connectors.base import ConnectorSpec, MetadataProvider, ProfileView, RunContext, Source

__all__ = ["is_external", "spec"]


class LazyConfiguration(Mapping[str, Any]):
    """The label's `ConnectorConfiguration`, computed (the connector installed) on first access."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._value: dict[str, Any] | None = None

    def _resolved(self) -> dict[str, Any]:
        if self._value is None:
            self._value = _connector(self.label).configuration()
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())


def _resolve(label: str) -> Any:
    from sluice.connectors.external import labels, paths

    return labels.resolve(label, labels.load_aliases(paths.aliases_file()))


def is_external(label: str | None) -> bool:
    """True when `label` names an Airbyte source, a Singer tap or an operator alias of one."""
    if not label:
        return False
    try:
        return _resolve(label) is not None
    except Exception:  # a malformed label of the form is still one of ours (refused when used)
        return label.startswith(("airbyte.", "airbyte/", "singer.", "singer/"))


@lru_cache(maxsize=256)
def _connector(label: str) -> Any:
    from sluice.connectors.external.connector import ExternalConnector

    resolved = _resolve(label)
    if resolved is None:
        raise KeyError(label)
    return ExternalConnector(resolved)


def spec(label: str | None) -> ConnectorSpec | None:
    """The spec serving an external `label`, or None when it names no external connector."""
    if not is_external(label):
        return None
    assert label is not None
    return _spec(label)


@lru_cache(maxsize=256)
def _spec(label: str) -> ConnectorSpec:
    def load_metadata() -> MetadataProvider:
        connector: MetadataProvider = _connector(label)
        return connector

    def open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
        source: Source = _connector(label).open_source(profile, props, ctx)
        return source

    def check_profile(profile: ProfileView) -> Mapping[str, Any]:
        checked: Mapping[str, Any] = _connector(label).check_profile(profile)
        return checked

    return ConnectorSpec(
        connector_type="CustomConnector",
        capabilities=LazyConfiguration(label),
        label=label,
        load_metadata=load_metadata,
        open_source=open_source,
        check_profile=check_profile,
        entities_fixed=True,
    )


def resolve_configuration(found: ConnectorSpec) -> None:
    """Compute a spec's lazy configuration now (installing the connector), so failures surface here."""
    if isinstance(found.capabilities, LazyConfiguration):
        found.capabilities._resolved()
