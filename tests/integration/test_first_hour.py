"""The first hour's stumbles, over a real `sluice serve`: a taken port, the endpoint the keys name,
`make serve` with another port or flags, and the custom connector example's documented path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.server import SluiceServer, free_port

ROOT = Path(__file__).resolve().parents[2]


def exported(output: str, name: str) -> str:
    """The value an `export NAME=value` line of `output` sets."""
    match = re.search(rf"^export {name}=(\S+)$", output, re.M)
    assert match, output
    return match.group(1)


def test_a_second_server_on_a_taken_port_fails_first_and_clearly(tmp_path: Path) -> None:
    server = SluiceServer(tmp_path / "first").start()
    try:
        second = tmp_path / "second"
        env = {**server.env(), "SLUICE_DATA_DIR": str(second)}
        env.pop("SLUICE_ACCESS_KEY_ID")  # a fresh data dir would create and hand out keys...
        env.pop("SLUICE_SECRET_ACCESS_KEY")
        run = subprocess.run([sys.executable, "-m", "sluice.cli", "serve", "--port", str(server.port)],
                             env=env, capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 1
        assert f"127.0.0.1:{server.port} is already in use" in run.stderr
        assert "serving" not in run.stdout and "Traceback" not in run.stderr
        # ...but nothing was created: no account, no keys file, no database.
        assert not second.exists() or not any(second.iterdir())
        assert httpx_ok(server.url)  # the first server is untouched
    finally:
        server.stop()


def httpx_ok(url: str) -> bool:
    import httpx

    return httpx.get(f"{url}/health", timeout=5).status_code == 200


def test_accounts_credentials_name_the_port_the_server_listens_on(tmp_path: Path) -> None:
    server = SluiceServer(tmp_path / "data", fixed_keys=False).start()
    try:
        env = {k: v for k, v in server.env().items() if k != "SLUICE_PORT"}
        run = subprocess.run([sys.executable, "-m", "sluice.cli", "accounts", "credentials", "default"],
                             env=env, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        assert exported(run.stdout, "AWS_ENDPOINT_URL_APPFLOW") == server.url
        assert server.port != 8080
        # The keys it prints work against that endpoint.
        client = server.client(exported(run.stdout, "AWS_ACCESS_KEY_ID"), exported(run.stdout, "AWS_SECRET_ACCESS_KEY"))
        assert client.list_flows()["flows"] == []
        # The first start's hand-over named the same endpoint.
        assert server.printed_keys()[0]["AWS_ENDPOINT_URL_APPFLOW"] == server.url
        # --port names another, for a server started elsewhere; so does `accounts create`.
        other = server.cli("accounts", "credentials", "default", "--port", "9123")
        assert exported(other.stdout, "AWS_ENDPOINT_URL_APPFLOW") == "http://127.0.0.1:9123"
        created = server.cli("accounts", "create", "analytics")
        assert exported(created.stdout, "AWS_ENDPOINT_URL_APPFLOW") == server.url
    finally:
        server.stop()


def test_make_serve_takes_a_port_and_flags(tmp_path: Path) -> None:
    """`SLUICE_PORT=N make serve` and `make serve ARGS=...` run `sluice serve` on that port."""
    port = free_port()
    # Not a sub-make of `make test`: a user's own shell (no MAKEFLAGS / MAKELEVEL, so no
    # "Entering/Leaving directory" lines).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLUICE_") and k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    # A fresh clone's Makefile, with the venv already built (the stamp is newer than its inputs).
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        (clone / name).write_bytes((ROOT / name).read_bytes())
    (clone / ".venv" / "bin").mkdir(parents=True)
    (clone / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (clone / ".venv" / "bin" / "sluice").write_text(f"#!/bin/sh\nexec {sys.executable} -m sluice.cli \"$@\"\n")
    (clone / ".venv" / "bin" / "sluice").chmod(0o755)
    (clone / ".venv" / ".serve-installed").touch()
    dry = subprocess.run(["make", "-n", "serve", "ARGS=--port 9000 --workers 1"], cwd=clone, env=env,
                         capture_output=True, text=True, check=True)
    assert dry.stdout.strip().splitlines()[-1] == ".venv/bin/sluice serve --port 9000 --workers 1"
    env.update(SLUICE_PORT=str(port), SLUICE_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(["make", "serve"], cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "serving the AppFlow API" in line:
                assert f"http://127.0.0.1:{port} " in line
                break
        else:
            raise AssertionError("make serve exited without serving")
        assert (tmp_path / "data" / "endpoint").read_text().strip() == f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_the_sqlite_connector_example_as_its_readme_says(tmp_path: Path) -> None:
    """The example's documented profile command (CustomConnector) works, and its SDK is an extra
    that `make install-connector-sdk` installs."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    extra = re.search(r"^connector-sdk = \[(.*?)\]", pyproject, re.M | re.S)
    assert extra and "custom-connector-sdk" in extra.group(1)
    assert "$(PIP) -e '.[connector-sdk]'" in (ROOT / "Makefile").read_text()
    readme = (ROOT / "examples" / "sqlite_connector" / "README.md").read_text()
    assert "make install-connector-sdk" in readme
    profile = re.search(r"--connector-profile-config '(\{.*?\})'", readme, re.S)
    assert profile, "the README creates a profile"
    config = json.loads(profile.group(1))
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sqlite-shop"
    links = tmp_path / "links.json"
    server = SluiceServer(tmp_path / "data", extra_env={"SLUICE_CONNECTOR_LINKS": str(links)})
    server.start()
    try:
        link = server.cli("connectors", "link", arn,
                          str(ROOT / "examples" / "sqlite_connector" / "handler.py") + ":lambda_handler")
        assert link.returncode == 0, link.stderr
        client = server.client()
        client.register_connector(connectorLabel="sqlite-shop", connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {"lambdaArn": arn}})
        client.create_connector_profile(connectorProfileName="shop", connectorType="CustomConnector",
                                        connectorLabel="sqlite-shop", connectionMode="Public",
                                        connectorProfileConfig=config)
        entities = client.list_connector_entities(connectorProfileName="shop", connectorType="CustomConnector")
        names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
        assert {"customers", "orders", "products"} <= names
    finally:
        server.stop()
