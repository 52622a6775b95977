"""The connector subprocess environment, private files and redaction (process.py)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from sluice.connectors.external.process import (
    ConnectorProcess,
    private_dir,
    redact,
    secret_file,
    secret_values,
    subprocess_env,
    trust_shim,
)

SERVER_ENV = {"PATH": "/usr/bin", "HOME": "/root", "SLUICE_DATABASE_URL": "postgresql://u:p@h/db",
              "AWS_SECRET_ACCESS_KEY": "aws-secret", "SSL_CERT_FILE": "/ca.pem", "REQUESTS_CA_BUNDLE": "/ca.pem",
              "PIP_INDEX_URL": "https://mirror/simple", "PIP_FIND_LINKS": "/wheels", "HTTPS_PROXY": "http://corp:3128"}


def test_connectors_get_a_clean_environment(tmp_path: Path) -> None:
    env = subprocess_env(home=tmp_path, shim=tmp_path / "shim", base=SERVER_ENV)
    assert "SLUICE_DATABASE_URL" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == str(tmp_path) and env["PYTHONPATH"] == str(tmp_path / "shim")
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == "/ca.pem"
    assert env["PIP_INDEX_URL"] == "https://mirror/simple" and env["HTTPS_PROXY"] == "http://corp:3128"


def test_the_egress_proxy_replaces_the_servers_proxy() -> None:
    env = subprocess_env(proxy="http://127.0.0.1:4000", base=SERVER_ENV)
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == env["https_proxy"] == "http://127.0.0.1:4000"


def test_installs_keep_the_real_home_for_pips_cache() -> None:
    env = subprocess_env(for_install=True, base=SERVER_ENV)
    assert env["HOME"] == "/root" and env["PIP_FIND_LINKS"] == "/wheels" and "PYTHONPATH" not in env
    assert "REQUESTS_CA_BUNDLE" not in env and "SSL_CERT_FILE" not in env  # pip's own cert settings decide


def test_secret_files_are_private_and_removed(tmp_path: Path) -> None:
    with private_dir(tmp_path) as folder:
        path = secret_file(folder, "config.json", {"api_key": "k"})
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert not folder.exists()


def test_redaction() -> None:
    config = {"api_key": "abcd1234", "nested": {"token": "zz-top-secret"}, "short": "ab"}
    secrets = secret_values(config, [("api_key",), ("nested", "token"), ("short",), ("missing",)])
    assert secrets == ["abcd1234", "zz-top-secret", "ab"]
    assert redact("key abcd1234 and zz-top-secret, ab", secrets) == "key **** and ****, ab"


def test_the_trust_shim_points_certifi_at_the_servers_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("test")
    shim = trust_shim(tmp_path / "shim")
    code = "import certifi, requests.certs; print(certifi.where(), requests.certs.where())"
    env = subprocess_env(home=tmp_path, shim=shim, base={**SERVER_ENV, "PATH": os.environ["PATH"],
                                                         "REQUESTS_CA_BUNDLE": str(bundle)})
    with ConnectorProcess([sys.executable, "-c", code], env, tmp_path) as process:
        assert process.proc.stdout is not None
        out = process.proc.stdout.read().decode().split()
        assert process.wait() == 0
    assert out == [str(bundle), str(bundle)]


def test_a_process_streams_json_lines_and_keeps_stderr(tmp_path: Path) -> None:
    code = ("import sys; print('{\"type\": \"LOG\"}'); print('not json'); print('{\"type\": \"RECORD\"}');"
            "sys.stderr.write('boom secret-9999\\n'); sys.exit(3)")
    with ConnectorProcess([sys.executable, "-c", code], {"PATH": os.environ["PATH"]}, tmp_path,
                          ["secret-9999"]) as process:
        messages = list(process.messages())
        code_out = process.wait()
    assert [m["type"] for m in messages] == ["LOG", "RECORD"] and process.non_json == 1
    assert code_out == 3 and process.stderr_tail() == "boom ****"


SEND = """
import requests
request = requests.Request("GET", "https://127.0.0.1:9/tickets").prepare()
try:
    requests.Session().send(request, timeout=10)  # as the Airbyte CDK sends: no proxies, no verify given
    print("direct")
except requests.exceptions.ProxyError as exc:
    print("proxy", "403" in str(exc))
except requests.exceptions.RequestException as exc:
    print("direct-failed", type(exc).__name__)
"""


def test_prepared_requests_go_through_the_egress_proxy(tmp_path: Path) -> None:
    from sluice.connectors.egress_proxy import EgressProxy

    shim = trust_shim(tmp_path / "shim")
    refused: list[str] = []
    with EgressProxy(allow_private=False, on_refused=refused.append) as proxy:
        env = subprocess_env(proxy=proxy.url, home=tmp_path, shim=shim, base={"PATH": os.environ["PATH"]})
        assert env["NO_PROXY"] == "" and env["PYTHONPATH"] == str(shim)
        with ConnectorProcess([sys.executable, "-c", SEND], env, tmp_path) as process:
            assert process.proc.stdout is not None
            said = process.proc.stdout.read().decode().split()
            process.wait()
        without = subprocess_env(home=tmp_path, base={"PATH": os.environ["PATH"]})
        with ConnectorProcess([sys.executable, "-c", SEND], without, tmp_path) as process:
            assert process.proc.stdout is not None
            direct = process.proc.stdout.read().decode().split()
            process.wait()
    assert said == ["proxy", "True"], said  # refused by the proxy (loopback), not connected directly
    assert refused and "127.0.0.1" in refused[0]
    assert direct[0] == "direct-failed"  # the control: without the shim the request never meets the proxy
