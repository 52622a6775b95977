"""Local mode: which registered Lambda ARNs run a local Python handler instead of Lambda.

`sluice connectors link <arn> <target> --account NAME` binds a function ARN, for one account (or
several), to a handler that Sluice runs in a worker process of its own (`invoke.LocalInvoker`).
`target` is `package.module:function` (an importable module) or `/path/to/file.py:function` (a
file; stored as an absolute path).

A binding is per account: a lookup is `(account, arn) -> target`. Anyone can name any ARN in
RegisterConnector, so another account registering a linked ARN must not get the operator's local
code (which runs on the server's host): it gets the Lambda path, as it would on AWS.

The bindings live in one JSON object `{arn: {account: target}}`, where `account` is a 12-digit
account id or `"default"` (the default account, whatever its id). An older entry `{arn: target}`
binds the ARN for the default account only. The file is `$SLUICE_CONNECTOR_LINKS` if set, else
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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sluice.connectors.base import ConnectorError
from sluice.settings import current

FILE_NAME = "connector-links.json"
DEFAULT_ACCOUNT = "default"  # the account key that means "the default account"
_ACCOUNT_KEY = re.compile(r"^(\d{12}|default)$")

ARN_PATTERN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[a-zA-Z0-9_-]{1,140})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_MODULE_TARGET = re.compile(rf"^{_IDENTIFIER}(\.{_IDENTIFIER})*:{_IDENTIFIER}(\.{_IDENTIFIER})*$")
_FUNCTION = re.compile(rf"^{_IDENTIFIER}(\.{_IDENTIFIER})*$")

Bindings = dict[str, dict[str, str]]  # arn -> account -> target

# path -> ((mtime_ns, size), links): one stat per lookup instead of one parse.
_cache: dict[str, tuple[tuple[int, int], Bindings]] = {}
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


def links(data_dir: str | None = None) -> Bindings:
    """Every binding, `{arn: {account: target}}` (a copy)."""
    return {arn: dict(bound) for arn, bound in _read(links_path(data_dir)).items()}


def target_for(
    arn: str, account_id: str, *, default_account: bool = False, data_dir: str | None = None
) -> str | None:
    """The local handler bound to `arn` for `account_id` (or, for a qualified ARN, to its function), else None.

    `default_account` says that `account_id` is the default account, which also gets bindings
    made for `"default"`.
    """
    every = _read(links_path(data_dir))
    if not every:
        return None
    bound = every.get(arn)
    if bound is None:
        # A binding of the function covers its versions and aliases, as one deployment would.
        match = ARN_PATTERN.match(arn)
        if match and match.group("qualifier"):
            bound = every.get(arn.rsplit(":", 1)[0])
    if bound is None:
        return None
    target = bound.get(account_id)
    if target is None and default_account:
        target = bound.get(DEFAULT_ACCOUNT)
    return target


def _accounts(accounts: Iterable[str]) -> list[str]:
    if isinstance(accounts, str):  # a lone string is a caller's slip (a data dir in the wrong place)
        raise TypeError("accounts must be a list of account ids")
    chosen = list(dict.fromkeys(accounts))
    if not chosen:
        raise ConnectorError("InvalidArgument", "a link needs at least one account")
    for account in chosen:
        if not _ACCOUNT_KEY.match(account):
            raise ConnectorError("InvalidArgument", f"{account!r} is not a 12-digit account id or 'default'")
    return chosen


def link(arn: str, target: str, accounts: Iterable[str] = (DEFAULT_ACCOUNT,), data_dir: str | None = None) -> str:
    """Bind `arn` to `target` for `accounts` (ids, or "default"); the target as stored (a file: absolute)."""
    parse_arn(arn)
    chosen = _accounts(accounts)
    stored = normalize_target(target)
    path = links_path(data_dir)
    with _locked(path):
        current = _load(path)
        bound = current.setdefault(arn, {})
        for account in chosen:
            bound[account] = stored
        _write(path, current)
    return stored


def unlink(arn: str, accounts: Iterable[str] = (DEFAULT_ACCOUNT,), data_dir: str | None = None) -> bool:
    """Drop the binding of `arn` for `accounts`; False when none of them had one."""
    chosen = _accounts(accounts)
    path = links_path(data_dir)
    with _locked(path):
        current = _load(path)
        bound = current.get(arn, {})
        dropped = [account for account in chosen if bound.pop(account, None) is not None]
        if not dropped:
            return False
        if not bound:
            del current[arn]
        _write(path, current)
    return True


def _read(path: Path) -> Bindings:
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


def _load(path: Path) -> Bindings:
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
    refused = ConnectorError(
        "InvalidArgument", f"the connector links file {path} is not an object of ARN -> {{account: target}}"
    )
    if not isinstance(data, dict):
        raise refused
    bindings: Bindings = {}
    for arn, bound in data.items():
        if isinstance(bound, str):  # the older form: the default account only
            bindings[arn] = {DEFAULT_ACCOUNT: bound}
        elif isinstance(bound, dict) and all(
            isinstance(k, str) and _ACCOUNT_KEY.match(k) and isinstance(v, str) for k, v in bound.items()
        ):
            bindings[arn] = dict(bound)
        else:
            raise refused
    return bindings


def _write(path: Path, data: Bindings) -> None:
    """Replace the file atomically, so a server reading it never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({arn: dict(sorted(bound.items())) for arn, bound in sorted(data.items())}, fh, indent=2)
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
