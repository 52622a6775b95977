"""Installing an external connector into its own virtual environment (connectors layer).

`installed(label)` answers the connector's environment, installing it on first use as PyAirbyte
does: `python -m venv` + `pip install <package>==<version>` into
`venvs/<package>-<version>/` (`paths.py`). The version is the label's (`@7.2.1`), else the
operator's pin, else the one `versions.lock.json` recorded, else the latest pip resolves - then
recorded in the lock file, so every later run uses that same version until the operator changes it.

Installs are built in a temporary folder beside the final one and renamed into place only once pip
succeeded and a marker file is written, so a failed or killed install leaves no half environment; a
file lock (one per package) serialises concurrent first uses across threads and processes. pip
reads PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS and its own config files as usual
(`process.subprocess_env`). Scripts run as `<venv>/bin/python <venv>/bin/<script>`, so an
environment keeps working after its rename.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sluice.connectors.base import ConnectorError
from sluice.connectors.external import paths
from sluice.connectors.external.labels import ExternalLabel
from sluice.connectors.external.process import subprocess_env

MARKER = ".sluice-installed"
_threads = threading.Lock()


@dataclass(frozen=True)
class Installed:
    """A connector's ready environment."""

    package: str
    version: str
    venv: Path
    script: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def command(self, *args: str) -> list[str]:
        """The argv running the connector's console script with `args`."""
        return [str(self.python), str(self.venv / "bin" / self.script), *args]


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """Hold the install lock of `name` (threads of this process, then other processes)."""
    folder = paths.venvs_dir() / ".locks"  # beside the environments: servers sharing them share the locks
    folder.mkdir(parents=True, exist_ok=True)
    with _threads, open(folder / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_lock() -> dict[str, str]:
    try:
        loaded = json.loads(paths.lock_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _record(package: str, version: str) -> None:
    """Remember the version `package` resolved to (atomically)."""
    versions = _read_lock()
    versions[package] = version
    target = paths.lock_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    temporary.write_text(json.dumps(versions, indent=2, sort_keys=True))
    os.replace(temporary, target)


def _ready(venv: Path) -> bool:
    return (venv / MARKER).is_file()


def _run(argv: list[str], what: str) -> str:
    """Run an install step; its output, or a ConnectorError quoting the end of it."""
    try:
        done = subprocess.run(argv, env=subprocess_env(for_install=True), capture_output=True, text=True,
                              timeout=paths.install_timeout(), check=False)
    except subprocess.TimeoutExpired as exc:
        raise ConnectorError("ServerError", f"{what} did not finish in {paths.install_timeout():.0f} s.") from exc
    except OSError as exc:
        raise ConnectorError("ServerError", f"{what} could not start: {exc}") from exc
    if done.returncode != 0:
        lines = [line for line in (done.stderr + "\n" + done.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING: Location")]
        tail = " | ".join(lines[-6:])[-1500:]
        raise ConnectorError("ServerError", f"{what} failed (exit {done.returncode}): {tail}")
    return done.stdout


def _build(label: ExternalLabel, version: str | None) -> Installed:
    """Install into a temporary environment and rename it into place; the result."""
    base = paths.venvs_dir()
    base.mkdir(parents=True, exist_ok=True)
    building = base / f".building-{label.package}-{uuid.uuid4().hex[:12]}"
    requirement = f"{label.package}=={version}" if version else label.package
    try:
        _run([sys.executable, "-m", "venv", str(building)], f"Creating the environment of {label.package}")
        _run([str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              requirement], f"pip install {requirement}")
        found = _run([str(building / "bin" / "python"), "-c",
                      "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", label.package],
                     f"Reading the installed version of {label.package}").strip()
        if not (building / "bin" / label.script).is_file():
            raise ConnectorError("ServerError", f"{label.package} {found} installs no {label.script} script, "
                                 f"so it is not the {label.protocol} connector {label.label} names.")
        (building / MARKER).write_text(json.dumps({"package": label.package, "version": found}))
        final = base / f"{label.package}-{found}"
        if _ready(final):  # another server sharing the cache got there first
            shutil.rmtree(building, ignore_errors=True)
        else:
            shutil.rmtree(final, ignore_errors=True)
            os.replace(building, final)
        return Installed(label.package, found, final, label.script)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def wanted_version(label: ExternalLabel) -> str | None:
    """The version a run must use: the label's or pin, else the lock file's; None: resolve the latest."""
    return label.version or _read_lock().get(label.package)


def installed(label: ExternalLabel) -> Installed:
    """The connector's environment, installed first when it is not there yet."""
    version = wanted_version(label)
    if version is not None:
        venv = paths.venvs_dir() / f"{label.package}-{version}"
        if _ready(venv):
            return Installed(label.package, version, venv, label.script)
    with _locked(label.package):
        version = wanted_version(label)
        if version is not None:
            venv = paths.venvs_dir() / f"{label.package}-{version}"
            if _ready(venv):
                return Installed(label.package, version, venv, label.script)
        built = _build(label, version)
        if label.version is None and version is None:
            _record(label.package, built.version)
        return built
