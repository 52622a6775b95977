"""Delta links kept per window end (sapodata/delta.py on connectors/window_state.py): the file layout
earlier releases wrote is still the one read, so links stored before an upgrade are found."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sluice.connectors.base import RunContext
from sluice.connectors.sapodata.delta import delta_links


def test_links_are_read_from_and_written_to_the_established_layout(tmp_path: Path) -> None:
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir=str(tmp_path),
                     region="us-east-1")
    key = "\x1f".join(("-", "us-east-1", "f", "https://sap.example", "/sap/opu/odata/X/Set"))
    folder = tmp_path / "connectors" / "sapodata" / "delta" / hashlib.sha256(key.encode()).hexdigest()[:32]
    folder.mkdir(parents=True)
    (folder / "100.0.json").write_text(json.dumps({"deltaLink": "Set?!deltatoken='1'", "windowEnd": 100.0}))
    links = delta_links(ctx, "https://sap.example", "/sap/opu/odata/X/Set")
    assert links.any() and links.get(100.0) == "Set?!deltatoken='1'" and links.get(50.0) is None
    links.put(200.0, "Set?!deltatoken='2'", 150.0)
    assert json.loads((folder / "200.0.json").read_text()) == {"deltaLink": "Set?!deltatoken='2'", "windowEnd": 200.0}
    assert not (folder / "100.0.json").exists()
