"""Running an external connector as a subprocess (connectors layer, Airbyte/Singer runner).

`subprocess_env` builds the one environment every connector process and every install step runs
with: a clean one, not the server's (no SLUICE_* settings, no AWS keys), with the variables that
make TLS and package indexes work (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, PIP_*) and the outbound
proxy (HTTPS_PROXY / HTTP_PROXY, NO_PROXY emptied) when one is given - the run's egress proxy
(`connectors/egress_proxy.py`, started by `protocols.py`). Where the server trusts its own CA bundle
(REQUESTS_CA_BUNDLE or SSL_CERT_FILE) connectors trust it too, and connectors use the proxy, even
those whose HTTP client skips requests' environment (the Airbyte CDK sends prepared requests with
`Session.send`, which reads neither variable): a `sitecustomize` on the connector's PYTHONPATH
points certifi at that bundle and makes `Session.send` merge the environment's proxies and bundle.
`secret_file` writes a connector config or state to a 0600 file in a private folder, removed
afterwards. `ConnectorProcess` streams the
process's stdout as parsed JSON lines (bounded memory: one line at a time), keeps the last lines
of stderr for error messages, and `redact` takes secret values out of any text Sluice keeps.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import orjson

from sluice.connectors.base import ConnectorError

# Passed through from the server's environment: locale, TLS trust, package index settings.
_PASSED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
           "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NO_PROXY", "no_proxy")
_PASSED_PREFIXES = ("PIP_",)
_BUNDLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PROXIES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
STDERR_LINES = 40
_TRUST_SHIM = """\
# Written by Sluice. Connectors trust the CA bundle the server was given (REQUESTS_CA_BUNDLE or
# SSL_CERT_FILE) and send their HTTP(S) through the proxy in HTTPS_PROXY / HTTP_PROXY, also where
# their client bypasses requests' environment settings: the Airbyte CDK calls Session.send() with
# a prepared request, which reads neither the proxy variables nor REQUESTS_CA_BUNDLE.
import os

_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
if _bundle:
    try:
        import certifi
        import certifi.core
    except ImportError:
        pass
    else:
        certifi.where = certifi.core.where = lambda: _bundle

if _bundle or os.environ.get("HTTPS_PROXY") or os.environ.get("HTTP_PROXY"):
    try:
        import requests.sessions
    except ImportError:
        pass
    else:
        _send = requests.sessions.Session.send

        def _send_with_environment(self, request, **kwargs):
            if self.trust_env and not kwargs.get("proxies"):
                merged = self.merge_environment_settings(request.url, {}, kwargs.get("stream"),
                                                         kwargs.get("verify"), kwargs.get("cert"))
                kwargs["proxies"] = merged["proxies"]
                if kwargs.get("verify") in (None, True):
                    kwargs["verify"] = merged["verify"]
            return _send(self, request, **kwargs)

        requests.sessions.Session.send = _send_with_environment
"""


def trust_shim(folder: Path) -> Path:
    """The folder holding Sluice's `sitecustomize.py` (written when missing or different)."""
    target = folder / "sitecustomize.py"
    try:
        current = target.read_text()
    except OSError:
        current = None
    if current != _TRUST_SHIM:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".sitecustomize.{os.getpid()}.tmp"
        temporary.write_text(_TRUST_SHIM)
        os.replace(temporary, target)
    return folder


def subprocess_env(*, for_install: bool = False, proxy: str | None = None, home: Path | None = None,
                   shim: Path | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a connector process (or, `for_install`, of venv/pip).

    `proxy`: the outbound proxy URL all of the connector's HTTP(S) must go through (the egress
    proxy); without one the server's own HTTPS_PROXY / HTTP_PROXY pass through. `home`: HOME for
    the connector (a private folder, so it reads none of the server user's files); installs keep
    the real HOME for pip's cache and config. `shim`: the `trust_shim` folder, put on the
    connector's PYTHONPATH when the server trusts a CA bundle of its own or a proxy is given.
    """
    source = os.environ if base is None else base
    env = {name: source[name] for name in _PASSED if name in source}
    env.update({name: value for name, value in source.items() if name.startswith(_PASSED_PREFIXES)})
    if proxy:
        # Everything goes through the proxy: no inherited NO_PROXY exception lets a host bypass it.
        env.update({name: proxy for name in _PROXIES})
        env.update({"NO_PROXY": "", "no_proxy": ""})
    else:
        env.update({name: source[name] for name in _PROXIES if name in source})
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if for_install:
        # pip trusts what its own settings say (PIP_CERT, pip.conf's `cert`, else its defaults): a
        # REQUESTS_CA_BUNDLE meant for connectors would override them inside pip's requests.
        for name in _BUNDLES:
            env.pop(name, None)
        if "HOME" in source:
            env["HOME"] = source["HOME"]
    else:
        if home is not None:
            env["HOME"] = str(home)
        if shim is not None and (env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE") or proxy):
            env["PYTHONPATH"] = str(shim)
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


@contextmanager
def private_dir(root: Path) -> Iterator[Path]:
    """A new 0700 folder under `root/tmp`, removed with everything in it afterwards."""
    base = root / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    os.chmod(folder, 0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def secret_file(folder: Path, name: str, value: Any) -> Path:
    """`value` as JSON in a 0600 file of `folder` (a `private_dir`)."""
    path = folder / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(value, handle)
    return path


def secret_values(config: Any, secret_paths: Iterable[tuple[str, ...]]) -> list[str]:
    """The (text of the) values at `secret_paths` of a config, for `redact`."""
    found: list[str] = []
    for path in secret_paths:
        current = config
        for part in path:
            current = current.get(part) if isinstance(current, Mapping) else None
        if current is not None and str(current).strip():
            found.append(str(current))
    return found


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (4 characters or more) replaced by `****`."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return text


class ConnectorProcess:
    """One connector command: stdout as JSON messages, stderr kept (last lines) for errors."""

    def __init__(self, argv: list[str], env: Mapping[str, str], cwd: Path, secrets: Iterable[str] = ()) -> None:
        self.secrets = list(secrets)
        self.non_json = 0
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=dict(env), cwd=cwd, bufsize=1 << 16)
        except OSError as exc:
            raise ConnectorError("ServerError", f"The connector could not start: {exc}") from exc
        self.stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._drain = threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True)
        self._drain.start()

    def _read_stderr(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.stderr.append(line)

    def messages(self) -> Iterator[dict[str, Any]]:
        """Each JSON object the connector writes to stdout, in order (other lines are skipped)."""
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if not raw.startswith(b"{"):
                self.non_json += 1
                continue
            try:
                message = orjson.loads(raw)
            except orjson.JSONDecodeError:
                self.non_json += 1
                continue
            if isinstance(message, dict):
                yield message

    def stderr_tail(self, lines: int = 6) -> str:
        """The last lines of stderr, secrets redacted."""
        return redact(" | ".join(list(self.stderr)[-lines:]), self.secrets)[-1500:]

    def wait(self) -> int:
        """Wait for the exit; its code."""
        code = self.proc.wait()
        self._drain.join(timeout=5)
        return code

    def kill(self) -> None:
        """Stop the process (a canceled run, a failure already seen)."""
        if self.proc.poll() is None:
            self.proc.kill()
        with suppress(Exception):
            self.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with suppress(OSError):
                    stream.close()

    def __enter__(self) -> ConnectorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
