"""Labels, pins and operator aliases (connectors/external/labels.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.external.labels import load_aliases, parse, resolve


def test_airbyte_labels_name_the_pypi_package_and_script() -> None:
    for text in ("airbyte.source-faker@7.2.1", "airbyte/source-faker@7.2.1"):
        label = parse(text)
        assert label is not None
        assert (label.protocol, label.package, label.script, label.version) == (
            "airbyte", "airbyte-source-faker", "source-faker", "7.2.1")


def test_singer_labels_are_the_tap_itself() -> None:
    label = parse("singer.tap-github")
    assert label is not None and (label.package, label.script, label.version) == ("tap-github", "tap-github", None)


def test_other_labels_are_not_external() -> None:
    assert parse("GitHub") is None and parse("JDBCsmall") is None and parse("my.connector") is None


@pytest.mark.parametrize("text", ["airbyte.faker", "airbyte.source-faker@1.0 ; rm -rf /", "singer.tap x",
                                  "singer.../../etc", "airbyte.source-faker@"])
def test_malformed_names_and_versions_are_refused(text: str) -> None:
    try:
        label = parse(text)
    except ConnectorError as exc:
        assert exc.code == "InvalidArgument"
        return
    assert label is not None and label.version is None and "@" not in label.name  # "@" alone: no pin


def test_an_alias_names_a_label_with_a_pin_and_fixed_config(tmp_path: Path) -> None:
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps({"desk": {"label": "airbyte.source-declarative-manifest", "version": "6.5.2",
                                         "config": {"__injected_declarative_manifest": {"version": "6.5.0"}}},
                                "airbyte.source-faker": {"version": "7.2.1"}}))
    aliases = load_aliases(path)
    desk = resolve("desk", aliases)
    assert desk is not None
    assert (desk.package, desk.version, desk.label) == ("airbyte-source-declarative-manifest", "6.5.2", "desk")
    assert desk.config == {"__injected_declarative_manifest": {"version": "6.5.0"}}
    pinned = resolve("airbyte.source-faker", aliases)
    assert pinned is not None and pinned.version == "7.2.1"
    assert resolve("GitHub", aliases) is None


def test_aliases_may_be_toml(tmp_path: Path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[aliases.faker]\nlabel = "airbyte.source-faker"\nversion = "7.2.1"\n')
    faker = resolve("faker", load_aliases(path))
    assert faker is not None and faker.package == "airbyte-source-faker" and faker.version == "7.2.1"


def test_an_alias_to_something_else_is_refused() -> None:
    with pytest.raises(ConnectorError, match="not an airbyte"):
        resolve("x", {"x": {"label": "GitHub"}})
