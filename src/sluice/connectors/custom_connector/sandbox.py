"""What a local connector worker may see (connectors layer; used by `worker_process.py`).

A linked handler is code the operator chose, but it runs on the server's host, next to
`sluice.db` and `master.key`; a Lambda would see none of that. So a worker starts with:

* **another user** when the server runs as root: `$SLUICE_CONNECTOR_USER` (default `nobody`;
  `none` turns it off), with its own group and no supplementary groups. The data dir is 0700 and
  owned by the server (`store.db.protect_data_dir`), so the worker cannot open what is in it.
  The user must be able to run Python and read the handler: the server probes its interpreter
  once (`$SLUICE_CONNECTOR_PYTHON`, else its own, else the system's `pythonX.Y` of the same
  version with the server's site-packages added) and, failing that or for a handler file the
  user cannot read, logs a warning and runs the worker as itself.
* **a scrubbed environment**: `PATH`, locale, TLS and proxy settings, `HOME`/`TMPDIR` = the
  worker's own empty directory, what the invocation sets (Sluice's Secrets Manager endpoint, the
  connector's keys, the region and function name), and only the variables the operator lists in
  `$SLUICE_CONNECTOR_ENV` (comma-separated names). No `SLUICE_*` setting, database URL or
  master key reaches it.
* **an empty working directory** of its own (removed when the worker stops), and no inherited
  file descriptors but its three pipes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("sluice.connectors.custom_connector")

WORKER_MODULE = "sluice.connectors.custom_connector.local_worker"
USER_VARIABLE = "SLUICE_CONNECTOR_USER"
PYTHON_VARIABLE = "SLUICE_CONNECTOR_PYTHON"
PASS_VARIABLE = "SLUICE_CONNECTOR_ENV"
SITE_DIRS_VARIABLE = "SLUICE_WORKER_SITE_DIRS"
# What any process needs to run and reach the network as the host is set up to.
_KEPT = (
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
)
# A foreign interpreter runs with -S (no system site-packages) and the server's own added, so
# the worker imports what the server would.
_BOOTSTRAP = (
    "import os, runpy, site\n"
    f"for p in os.environ.pop({SITE_DIRS_VARIABLE!r}, '').split(os.pathsep):\n"
    "    p and site.addsitedir(p)\n"
    f"runpy.run_module({WORKER_MODULE!r}, run_name='__main__', alter_sys=True)\n"
)
_PROBE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Identity:
    """The user a worker runs as."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Launch:
    """How to start workers: the interpreter, its arguments before the target, and the user."""

    command: tuple[str, ...]
    identity: Identity | None
    site_dirs: str = ""


_plan: Launch | None = None
_plan_lock = threading.Lock()


def worker_identity() -> Identity | None:
    """The user `$SLUICE_CONNECTOR_USER` names (default `nobody` when the server is root), or None."""
    name = os.environ.get(USER_VARIABLE)
    if name is None:
        name = "nobody" if os.geteuid() == 0 else ""
    if name.strip().lower() in ("", "none"):
        return None
    if os.geteuid() != 0:
        log.warning("%s=%s needs a server running as root; local connectors run as the server's user",
                    USER_VARIABLE, name)
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        log.warning("no user %r (%s): local connectors run as the server's user", name, USER_VARIABLE)
        return None
    if entry.pw_uid == 0:
        return None
    return Identity(name, entry.pw_uid, entry.pw_gid)


def _candidates() -> list[str]:
    configured = os.environ.get(PYTHON_VARIABLE)
    if configured:
        return [configured]
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = [sys.executable, os.path.realpath(sys.executable)]
    found += [f"{folder}/{version}" for folder in ("/usr/local/bin", "/usr/bin")]
    unique: list[str] = []
    for path in found:
        if os.path.isfile(path) and path not in unique:
            unique.append(path)
    return unique


def _launch(interpreter: str, identity: Identity | None) -> Launch:
    if interpreter == sys.executable:
        return Launch((interpreter, "-m", WORKER_MODULE), identity)
    site_dirs = os.pathsep.join(p for p in site.getsitepackages() if os.path.isdir(p))
    return Launch((interpreter, "-S", "-c", _BOOTSTRAP), identity, site_dirs)


def unconfined() -> Launch:
    """Workers as the server's user, with its own interpreter (still a scrubbed environment and cwd)."""
    return _launch(sys.executable, None)


def _probe(launch: Launch, env: Mapping[str, str]) -> bool:
    """True when the launch, as its user, imports the worker under the server's Python version."""
    with scratch_dir(launch.identity) as folder:
        try:
            done = subprocess.run(
                [*launch.command, "--probe"], env={**env, "HOME": folder, SITE_DIRS_VARIABLE: launch.site_dirs},
                cwd=folder, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, close_fds=True,
                user=uid(launch.identity), group=gid(launch.identity), extra_groups=groups(launch.identity),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("worker interpreter %s: %s", launch.command[0], exc)
            return False
    expected = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if done.returncode != 0 or done.stdout.strip() != expected:
        log.debug("worker interpreter %s as %s: exit %s, %s", launch.command[0],
                  launch.identity.name if launch.identity else "-", done.returncode, done.stderr[-500:])
        return False
    return True


def launch_plan(env: Mapping[str, str]) -> Launch:
    """How workers start in this process (chosen once; `env` is the scrubbed base environment)."""
    global _plan
    with _plan_lock:
        if _plan is not None:
            return _plan
        identity = worker_identity()
        plan = _launch(sys.executable, None)
        if identity is not None:
            for interpreter in _candidates():
                candidate = _launch(interpreter, identity)
                if _probe(candidate, env):
                    plan = candidate
                    break
            else:
                log.warning("user %s cannot run this server's Python (set %s to one it can): "
                            "local connectors run as the server's user", identity.name, PYTHON_VARIABLE)
        _plan = plan
        return plan


def reset() -> None:
    """Forget the chosen launch (tests that change the settings)."""
    global _plan
    with _plan_lock:
        _plan = None


# `subprocess.Popen`'s user=, group= and extra_groups= for a child running as `identity` (None:
# the server's own user, nothing changed).


def uid(identity: Identity | None) -> int | None:
    """Popen's `user=`."""
    return identity.uid if identity else None


def gid(identity: Identity | None) -> int | None:
    """Popen's `group=`."""
    return identity.gid if identity else None


def groups(identity: Identity | None) -> list[int] | None:
    """Popen's `extra_groups=`: none at all for another user (root's groups must not come along)."""
    return [] if identity else None


def readable_by(path: Path, identity: Identity) -> bool:
    """True when `identity` (not the owner's group member) can reach and read `path` by its mode bits."""
    def allows(st: os.stat_result, bit_user: int, bit_group: int, bit_other: int) -> bool:
        if st.st_uid == identity.uid:
            return bool(st.st_mode & bit_user)
        if st.st_gid == identity.gid:
            return bool(st.st_mode & bit_group)
        return bool(st.st_mode & bit_other)

    try:
        resolved = path.resolve()
        for folder in reversed(resolved.parents):
            if not allows(folder.stat(), stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
                return False
        return allows(resolved.stat(), stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
    except OSError:
        return False


def base_environment() -> dict[str, str]:
    """The server's variables a worker keeps: host basics plus the operator's `$SLUICE_CONNECTOR_ENV` names."""
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    for name in (os.environ.get(PASS_VARIABLE) or "").split(","):
        name = name.strip()
        if name and name in os.environ:
            env[name] = os.environ[name]
    return env


@contextlib.contextmanager
def scratch_dir(identity: Identity | None) -> Iterator[str]:
    """A fresh empty directory the worker owns (its cwd and HOME), removed afterwards."""
    folder = make_scratch_dir(identity)
    try:
        yield folder
    finally:
        remove_scratch_dir(folder)


def make_scratch_dir(identity: Identity | None) -> str:
    """Create a worker's private directory (owned by `identity` when given)."""
    folder = tempfile.mkdtemp(prefix="sluice-connector-")
    if identity is not None:
        os.chown(folder, identity.uid, identity.gid)
    return folder


def remove_scratch_dir(folder: str) -> None:
    """Remove a worker's directory and whatever it left there."""
    shutil.rmtree(folder, ignore_errors=True)
