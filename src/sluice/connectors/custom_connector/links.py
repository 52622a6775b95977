"""Local mode: which registered Lambda ARNs run a local Python handler instead of Lambda.

`sluice connectors link <arn> <target>` binds a function ARN to a handler that Sluice runs in a
worker process of its own (`invoke.LocalInvoker`). `target` is `package.module:function` (an
importable module) or `/path/to/file.py:function` (a file; stored as an absolute path).

The bindings live in one JSON object `{arn: target}`: `$SLUICE_CONNECTOR_LINKS` if set, else
`<data_dir>/connector-links.json`, with `data_dir` from the argument, `$SLUICE_DATA_DIR` or
`.sluice`. `target_for` re-reads the file when its mtime or size changes, so linking takes effect
on a running server without a restart.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sluice.connectors.base import ConnectorError
from sluice.settings import current

FILE_NAME = "connector-links.json"

ARN_PATTERN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[a-zA-Z0-9_-]{1,140})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_MODULE_TARGET = re.compile(rf"^{_IDENTIFIER}(\.{_IDENTIFIER})*:{_IDENTIFIER}(\.{_IDENTIFIER})*$")
_FUNCTION = re.compile(rf"^{_IDENTIFIER}(\.{_IDENTIFIER})*$")

# path -> ((mtime_ns, size), links): one stat per lookup instead of one parse.
_cache: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}
_cache_lock = threading.Lock()


def links_path(data_dir: str | None = None) -> Path:
    """The links file in use."""
    chosen = current()
    if chosen.connectors.links_file:
        return Path(chosen.connectors.links_file)
    base = data_dir or chosen.data_dir
    return Path(base) / FILE_NAME


def parse_arn(arn: str) -> dict[str, str | None]:
    """`{"region", "account", "name", "qualifier"}` of a Lambda function ARN; InvalidArgument if it is none."""
    match = ARN_PATTERN.match(arn or "")
    if match is None:
        raise ConnectorError(
            "InvalidArgument",
            f"{arn!r} is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])",
        )
    return match.groupdict()


def normalize_target(target: str) -> str:
    """`target` checked and, for a file, made absolute; InvalidArgument if it has neither shape."""
    location, sep, function = (target or "").rpartition(":")
    if not sep or not location or not _FUNCTION.match(function):
        raise ConnectorError(
            "InvalidArgument", f"{target!r} is not a handler: expected package.module:function or path/file.py:function"
        )
    if location.endswith(".py"):
        path = Path(location).expanduser().resolve()
        if not path.is_file():
            raise ConnectorError("InvalidArgument", f"the handler file {path} does not exist")
        return f"{path}:{function}"
    if not _MODULE_TARGET.match(target):
        raise ConnectorError(
            "InvalidArgument", f"{target!r} is not a handler: expected package.module:function or path/file.py:function"
        )
    return target


def links(data_dir: str | None = None) -> dict[str, str]:
    """Every binding, `{arn: target}` (a copy)."""
    return dict(_read(links_path(data_dir)))


def target_for(arn: str, data_dir: str | None = None) -> str | None:
    """The local handler bound to `arn` (or, for a qualified ARN, to its function), else None."""
    bound = _read(links_path(data_dir))
    if not bound:
        return None
    if arn in bound:
        return bound[arn]
    # A binding of the function covers its versions and aliases, as one deployment would.
    match = ARN_PATTERN.match(arn)
    if match and match.group("qualifier"):
        return bound.get(arn.rsplit(":", 1)[0])
    return None


def link(arn: str, target: str, data_dir: str | None = None) -> str:
    """Bind `arn` to `target`; returns the target as stored (a file target is made absolute)."""
    parse_arn(arn)
    stored = normalize_target(target)
    path = links_path(data_dir)
    with _locked(path):
        current = _load(path)
        current[arn] = stored
        _write(path, current)
    return stored


def unlink(arn: str, data_dir: str | None = None) -> bool:
    """Drop the binding of `arn`; False when there was none."""
    path = links_path(data_dir)
    with _locked(path):
        current = _load(path)
        if arn not in current:
            return False
        del current[arn]
        _write(path, current)
    return True


def _read(path: Path) -> dict[str, str]:
    """The file's bindings, parsed again only when the file changed."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (st.st_mtime_ns, st.st_size)
    key = str(path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    data = _load(path)
    with _cache_lock:
        _cache[key] = (stamp, data)
    return data


def _load(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConnectorError("InvalidArgument", f"the connector links file {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConnectorError("InvalidArgument", f"the connector links file {path} is not an object of ARN -> target")
    return data


def _write(path: Path, data: dict[str, str]) -> None:
    """Replace the file atomically, so a server reading it never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(sorted(data.items())), fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write across processes (two `sluice connectors link` at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
