"""Which external connector a `connectorLabel` names (connectors layer, Airbyte/Singer runner).

Three spellings reach the same `ExternalLabel`:

* `airbyte.<source-name>[@<version>]` (or `airbyte/<source-name>...`): an Airbyte source from PyPI,
  package `airbyte-<source-name>`, console script `<source-name>` - `airbyte.source-faker@7.2.1`;
* `singer.<tap-name>[@<version>]` (or `singer/<tap-name>...`): a Singer tap, package and script
  `<tap-name>`;
* an operator alias: a key of the aliases file (`settings.aliases_file`), whose entry names one of
  the above as `label`, optionally with a pinned `version` and fixed connector `config`.

AppFlow's `ConnectorLabel` pattern (`[a-zA-Z0-9][\\w!@#.-]+`) has no `/`, so over the API the dotted
form is the one a request can carry; the slash form is accepted wherever a label is read unchecked.
Names and versions are checked against what PyPI allows before they reach pip or a file path.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluice.connectors.base import ConnectorError

PROTOCOLS = ("airbyte", "singer")
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!-]{0,63}")
_LABEL = re.compile(r"(airbyte|singer)[./](.+)")


@dataclass(frozen=True)
class ExternalLabel:
    """An Airbyte source or Singer tap, and how it is pinned and configured."""

    protocol: str  # "airbyte" or "singer"
    name: str  # source-faker, tap-tickets
    version: str | None = None  # from the label or the operator's pin; None: the lock file's or latest
    # Connector config the operator fixes for the alias (never asked of profiles).
    config: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # as the profile spells it

    @property
    def package(self) -> str:
        """The PyPI distribution to install."""
        return f"airbyte-{self.name}" if self.protocol == "airbyte" else self.name

    @property
    def script(self) -> str:
        """The console script the package installs."""
        return self.name


def _checked(protocol: str, name: str, version: str | None, label: str) -> ExternalLabel:
    if protocol == "airbyte" and not name.startswith("source-"):
        raise ConnectorError("InvalidArgument", f"The label {label} names no Airbyte source (its name must start "
                             "with source-, e.g. airbyte.source-faker).")
    if not _NAME.fullmatch(name):
        raise ConnectorError("InvalidArgument", f"The label {label} names {name!r}, which is not a package name.")
    if version is not None and not _VERSION.fullmatch(version):
        raise ConnectorError("InvalidArgument", f"The label {label} pins {version!r}, which is not a version.")
    return ExternalLabel(protocol, name, version, label=label)


def parse(label: str) -> ExternalLabel | None:
    """The connector a literal `airbyte.`/`singer.` label names; None for any other label."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return None
    protocol, rest = match.groups()
    name, _, version = rest.partition("@")
    return _checked(protocol, name, version or None, label)


def load_aliases(path: Path | None) -> dict[str, dict[str, Any]]:
    """The operator's aliases file (JSON, or TOML when it ends in .toml); {} when there is none."""
    if path is None or not path.is_file():
        return {}
    text = path.read_text()
    try:
        loaded = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except ValueError as exc:
        raise ConnectorError("InvalidArgument", f"The external connectors file {path} cannot be read: {exc}") from exc
    table = loaded.get("aliases", loaded) if isinstance(loaded, dict) else None
    if not isinstance(table, dict):
        raise ConnectorError("InvalidArgument", f"The external connectors file {path} is not a table of aliases.")
    return {str(k): v for k, v in table.items() if isinstance(v, dict)}


def resolve(label: str | None, aliases: Mapping[str, Mapping[str, Any]]) -> ExternalLabel | None:
    """The connector `label` names (an alias first, then the literal forms); None when it names none.

    An alias entry is `{"label": "airbyte.source-faker", "version": "7.2.1", "config": {...}}`; an
    entry keyed by a literal label (`"airbyte.source-faker": {"version": "7.2.1"}`) pins that label.
    """
    if not label:
        return None
    entry = aliases.get(label)
    if entry is None:
        return parse(label)
    target = parse(str(entry.get("label") or label))
    if target is None:
        raise ConnectorError("InvalidArgument", f"The alias {label} names {entry.get('label')!r}, which is not an "
                             "airbyte.<source> or singer.<tap> label.")
    version = entry.get("version")
    pinned = _checked(target.protocol, target.name, str(version) if version else target.version, label)
    config = entry.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConnectorError("InvalidArgument", f"The alias {label} has a config that is not an object.")
    return ExternalLabel(pinned.protocol, pinned.name, pinned.version, dict(config), label)
