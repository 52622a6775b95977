"""Every `SLUICE_*` variable the code reads is in the README's configuration table, and back.

Names are collected from src/ as text, the way a reader would grep for them. A name built with an
f-string (`f"SLUICE_ENDPOINT_URL_{kind}"`) is a family: the table lists it with a placeholder,
e.g. `SLUICE_ENDPOINT_URL_<CONNECTORTYPE>`.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"SLUICE_[A-Z0-9_]*")
# In the table: a name, or a family written with a <PLACEHOLDER> after its fixed part.
TABLE_NAME = re.compile(r"`(SLUICE_[A-Z0-9_]*(?:<[A-Z_]+>)?)`")


def names_in_code() -> tuple[set[str], set[str]]:
    """(names, family prefixes) that src/ spells out; a family prefix ends where an f-string field starts."""
    names: set[str] = set()
    families: set[str] = set()
    # src/ and the bundled examples (whose variables the operator sets for the server's workers).
    for path in sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        for match in NAME.finditer(text):
            name, after = match.group(), text[match.end():match.end() + 1]
            if after in ("{", "<"):  # an f-string field, or prose's `PREFIX<PLACEHOLDER>`
                families.add(name)
            elif name != "SLUICE_" and after != "*":  # the bare prefix, or prose's `SLUICE_SALESFORCE_*`
                names.add(name.rstrip("_"))
    return names, families


def names_in_table() -> tuple[set[str], set[str]]:
    """(names, family prefixes) in the first column of README.md's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    families: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `SLUICE_"):
            continue
        first_column = line.split("|")[1]
        for entry in TABLE_NAME.findall(first_column):
            if "<" in entry:
                families.add(entry.split("<", 1)[0])
            else:
                names.add(entry)
    return names, families


def test_every_variable_the_code_reads_is_documented() -> None:
    code_names, code_families = names_in_code()
    table_names, table_families = names_in_table()
    undocumented = {name for name in code_names - table_names if not name.startswith(tuple(table_families))}
    missing = sorted(undocumented) + sorted(f"{prefix}<...>" for prefix in code_families - table_families)
    assert not missing, (
        "SLUICE_* variables read in src/ but missing from README.md's configuration table "
        "(add a row: | `NAME` | flag | default | meaning |; a family built with an f-string is written "
        "`PREFIX<PLACEHOLDER>`):\n  " + "\n  ".join(missing)
    )


def test_every_documented_variable_is_read_by_the_code() -> None:
    code_names, code_families = names_in_code()
    table_names, table_families = names_in_table()
    stale = sorted(table_names - code_names) + sorted(f"{prefix}<...>" for prefix in table_families - code_families)
    assert not stale, "README.md's configuration table lists variables nothing in src/ reads:\n  " + "\n  ".join(stale)


def test_the_scan_sees_names_and_families() -> None:
    # The scanner itself: a plain name, an f-string family, the bare prefix.
    source = ROOT / "src" / "sluice" / "settings.py"
    names, _ = names_in_code()
    assert "SLUICE_SALESFORCE_BULK_MAX_WAIT" in source.read_text() and "SLUICE_SALESFORCE_BULK_MAX_WAIT" in names
    assert "SLUICE_SALESFORCE" not in names and "SLUICE" not in names  # prose globs and the bare prefix
    text = 'b = f"SLUICE_ENDPOINT_URL_{kind}"'
    assert [(m.group(), text[m.end()]) for m in NAME.finditer(text)] == [("SLUICE_ENDPOINT_URL_", "{")]
