"""Where the external-connector runner keeps its files (connectors layer, Airbyte/Singer runner).

Everything lives under `<data dir>/connectors/external/`:

* `aliases.json` (or `aliases.toml`) - the operator's aliases and pins (`labels.resolve`);
  `SLUICE_EXTERNAL_CONNECTORS_FILE` names another file;
* `versions.lock.json` - the version each package resolved to on first use, so later runs use
  the same one;
* `venvs/<package>-<version>/` - one virtual environment per installed connector;
  `SLUICE_EXTERNAL_VENVS_DIR` moves them (several servers, or a test session, can share one cache:
  installs are serialised by a file lock in its `.locks/`, so sharing is safe);
* `state/<flow key>/<window end>.json` - the connector state of each run (`state.py`);
* `home/` - HOME of the connector processes; `tmp/` - their private config folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from sluice.settings import current


def root() -> Path:
    """`<data dir>/connectors/external`."""
    return Path(current().data_dir) / "connectors" / "external"


def aliases_file() -> Path:
    """The operator's aliases file (it may not exist)."""
    named = os.environ.get("SLUICE_EXTERNAL_CONNECTORS_FILE", "").strip()
    if named:
        return Path(named)
    toml = root() / "aliases.toml"
    return toml if toml.is_file() else root() / "aliases.json"


def venvs_dir() -> Path:
    """Where connectors' virtual environments are installed."""
    named = os.environ.get("SLUICE_EXTERNAL_VENVS_DIR", "").strip()
    return Path(named) if named else root() / "venvs"


def lock_file() -> Path:
    """The resolved-versions lock file."""
    return root() / "versions.lock.json"


def install_timeout() -> float:
    """Seconds one `pip install` may take (SLUICE_EXTERNAL_INSTALL_TIMEOUT, default 900)."""
    try:
        return max(10.0, float(os.environ.get("SLUICE_EXTERNAL_INSTALL_TIMEOUT", "900")))
    except ValueError:
        return 900.0
