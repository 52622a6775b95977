"""`links.py`: binding Lambda ARNs to local handlers in a JSON file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import links

ARN = "arn:aws:lambda:us-east-1:123456789012:function:acme-connector"
ME = "111111111111"
OTHER = "222222222222"
EXAMPLE = "custom_connector_example.handlers.lambda_handler:salesforce_lambda_handler"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_CONNECTOR_LINKS", raising=False)
    monkeypatch.delenv("SLUICE_DATA_DIR", raising=False)


def test_link_unlink_round_trip(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    assert links.links(data_dir) == {}
    assert links.target_for(ARN, ME, data_dir=data_dir) is None
    assert links.link(ARN, EXAMPLE, [ME], data_dir) == EXAMPLE
    assert links.target_for(ARN, ME, data_dir=data_dir) == EXAMPLE
    stored = json.loads((tmp_path / "data" / "connector-links.json").read_text())
    assert stored == {ARN: {ME: EXAMPLE}}
    assert links.unlink(ARN, [ME], data_dir) is True
    assert links.unlink(ARN, [ME], data_dir) is False
    assert links.links(data_dir) == {}
    # Atomic writes leave no temporary files behind.
    names = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert names == ["connector-links.json", "connector-links.json.lock"]


def test_file_target_is_stored_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handler.py").write_text("def handle(event, context):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    stored = links.link(ARN, "handler.py:handle", [ME], str(tmp_path))
    assert stored == f"{tmp_path / 'handler.py'}:handle"
    assert links.target_for(ARN, ME, data_dir=str(tmp_path)) == stored


def test_qualified_arn_falls_back_to_the_function(tmp_path: Path) -> None:
    links.link(ARN, "pkg.mod:handler", [ME], str(tmp_path))
    assert links.target_for(ARN + ":prod", ME, data_dir=str(tmp_path)) == "pkg.mod:handler"
    assert links.target_for(ARN + ":$LATEST", ME, data_dir=str(tmp_path)) == "pkg.mod:handler"
    links.link(ARN + ":7", "pkg.other:handler", [ME], str(tmp_path))
    assert links.target_for(ARN + ":7", ME, data_dir=str(tmp_path)) == "pkg.other:handler"
    assert links.target_for(ARN.replace("acme", "other"), ME, data_dir=str(tmp_path)) is None


def test_links_are_per_account(tmp_path: Path) -> None:
    """Another account naming the same ARN does not get the operator's local handler."""
    links.link(ARN, "pkg.mod:handler", [ME], str(tmp_path))
    assert links.target_for(ARN, OTHER, data_dir=str(tmp_path)) is None
    assert links.target_for(ARN, OTHER, default_account=True, data_dir=str(tmp_path)) is None
    links.link(ARN, "pkg.other:handler", [OTHER], str(tmp_path))
    assert links.target_for(ARN, ME, data_dir=str(tmp_path)) == "pkg.mod:handler"
    assert links.target_for(ARN, OTHER, data_dir=str(tmp_path)) == "pkg.other:handler"
    assert links.unlink(ARN, [ME], str(tmp_path)) is True
    assert links.links(str(tmp_path)) == {ARN: {OTHER: "pkg.other:handler"}}


def test_default_and_older_entries_bind_the_default_account_only(tmp_path: Path) -> None:
    path = tmp_path / "connector-links.json"
    path.write_text(json.dumps({ARN: "pkg.old:handler", ARN + "-b": {"default": "pkg.new:handler"}}))
    assert links.target_for(ARN, ME, default_account=True, data_dir=str(tmp_path)) == "pkg.old:handler"
    assert links.target_for(ARN + "-b", ME, default_account=True, data_dir=str(tmp_path)) == "pkg.new:handler"
    assert links.target_for(ARN, OTHER, data_dir=str(tmp_path)) is None
    assert links.target_for(ARN + "-b", OTHER, data_dir=str(tmp_path)) is None


def test_account_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="12-digit"):
        links.link(ARN, "pkg.mod:handler", ["someone"], str(tmp_path))
    with pytest.raises(ConnectorError, match="at least one account"):
        links.link(ARN, "pkg.mod:handler", [], str(tmp_path))


def test_environment_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_DATA_DIR", str(tmp_path / "d"))
    links.link(ARN, "pkg.mod:handler")
    assert (tmp_path / "d" / "connector-links.json").exists()
    explicit = tmp_path / "elsewhere" / "links.json"
    monkeypatch.setenv("SLUICE_CONNECTOR_LINKS", str(explicit))
    assert links.links() == {}
    links.link(ARN, "pkg.mod:other", data_dir=str(tmp_path / "ignored"))
    assert json.loads(explicit.read_text()) == {ARN: {"default": "pkg.mod:other"}}
    assert links.links_path("ignored") == explicit


def test_changes_by_another_process_are_seen(tmp_path: Path) -> None:
    """A running server sees `sluice connectors link` without a restart (mtime/size change)."""
    path = tmp_path / "connector-links.json"
    links.link(ARN, "pkg.mod:handler", [ME], str(tmp_path))
    assert links.target_for(ARN, ME, data_dir=str(tmp_path)) == "pkg.mod:handler"
    path.write_text(json.dumps({ARN: {ME: "pkg.mod:replaced"}}))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert links.target_for(ARN, ME, data_dir=str(tmp_path)) == "pkg.mod:replaced"
    path.unlink()
    assert links.target_for(ARN, ME, data_dir=str(tmp_path)) is None


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "acme",
        "arn:aws:lambda:us-east-1:123:function:x",
        "arn:aws:s3:::bucket",
        "arn:aws:lambda:us-east-1:123456789012:layer:x",
        "arn:aws:lambda:us-east-1:123456789012:function:bad name",
    ],
)
def test_bad_arns_are_refused(tmp_path: Path, arn: str) -> None:
    with pytest.raises(ConnectorError) as info:
        links.link(arn, "pkg.mod:handler", [ME], str(tmp_path))
    assert info.value.code == "InvalidArgument"


@pytest.mark.parametrize("target", ["", "pkg.mod", ":handler", "pkg.mod:", "pkg mod:handler", "1pkg:handler", "x:y-z"])
def test_bad_targets_are_refused(tmp_path: Path, target: str) -> None:
    with pytest.raises(ConnectorError) as info:
        links.link(ARN, target, [ME], str(tmp_path))
    assert info.value.code == "InvalidArgument"


def test_missing_handler_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="does not exist"):
        links.link(ARN, f"{tmp_path}/nope.py:handler", [ME], str(tmp_path))


def test_parse_arn() -> None:
    assert links.parse_arn(ARN + ":prod") == {
        "region": "us-east-1",
        "account": "123456789012",
        "name": "acme-connector",
        "qualifier": "prod",
    }


def test_corrupt_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "connector-links.json").write_text("{not json")
    with pytest.raises(ConnectorError, match="not JSON"):
        links.target_for(ARN, ME, data_dir=str(tmp_path))
    (tmp_path / "connector-links.json").write_text("[1, 2, 3]")
    with pytest.raises(ConnectorError, match="ARN -> "):
        links.links(str(tmp_path))
