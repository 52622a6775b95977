"""One 2 GiB CSV object through StartFlow: every row arrives, and the server's memory stays bounded.

AppFlow caps an S3 source file at 125 MB; Sluice does not. The object is cut into byte ranges
(connectors/s3/splits.py) read on every core, with quoted newlines in every row so that range
boundaries land inside quoted values; the server's peak RSS must stay far below the object's size.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from tests.support.flows import start_and_wait
from tests.support.server import SluiceServer

GIB = 1024 ** 3
ROWS_PER_BLOCK = 4096
# The server's peak RSS allowed while it moves 2 GiB (it idles at ~150 MiB).
RSS_LIMIT_MIB = 512


def block() -> bytes:
    """4096 rows, ~250 bytes each, with commas, doubled quotes and newlines inside quoted values."""
    rows = []
    for i in range(ROWS_PER_BLOCK):
        note = f'line one of {i}\nline "two", ""quoted""\r\nthree' if i % 2 else f"plain note {i}"
        rows.append(f'{i},"Name, {i:05d}","{note.replace(chr(34), chr(34) * 2)}",{i % 200}.25,{"x" * 150}\n')
    return "".join(rows).encode()


def write_object(path: Path, size: int) -> int:
    """A CSV of at least `size` bytes; its number of rows."""
    data = block()
    repeats = -(-size // len(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(b"id,name,note,amount,padding\n")
        for _ in range(repeats):
            handle.write(data)
    return repeats * ROWS_PER_BLOCK


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_2_gib_csv_object_moves_whole_with_bounded_memory(tmp_path: Path) -> None:
    server = SluiceServer(data_dir=tmp_path / "data")
    big = tmp_path / "data" / "s3" / "big-in" / "in" / "big.csv"
    rows = write_object(big, 2 * GIB)
    (tmp_path / "data" / "s3" / "big-out").mkdir(parents=True)
    kept_per_block = sum(1 for i in range(ROWS_PER_BLOCK) if i % 200 >= 100)  # amount > 100
    server.start()
    try:
        client = server.client()
        client.create_flow(
            flowName="big",
            triggerConfig={"triggerType": "OnDemand"},
            sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
                "bucketName": "big-in", "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
            destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                "bucketName": "big-out", "bucketPrefix": "out",
                "s3OutputFormatConfig": {"fileType": "PARQUET", "preserveSourceDataTyping": True}}}}],
            tasks=[
                {"taskType": "Filter", "sourceFields": ["id", "note", "amount"],
                 "connectorOperator": {"S3": "PROJECTION"}},
                {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
                 "taskProperties": {"VALUE": "100", "DATA_TYPE": "double"}},
                *({"taskType": "Map", "sourceFields": [name], "connectorOperator": {"S3": "NO_OP"},
                   "destinationField": name} for name in ("id", "note", "amount")),
            ],
        )
        record = start_and_wait(client, "big", timeout=600)
        rss = peak_rss_mib(server.proc.pid)  # type: ignore[union-attr]
    finally:
        server.stop()
        big.unlink()  # pytest keeps recent temp folders: not 2 GiB of them
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == rows
    outputs = sorted((tmp_path / "data" / "s3" / "big-out").rglob("*.parquet"))
    assert sum(pq.ParquetFile(path).metadata.num_rows for path in outputs) == kept_per_block * (rows // ROWS_PER_BLOCK)
    # Each part file holds whole splits in order, but which lane's file holds the first split varies.
    starts = [[row["note"] for row in pq.read_table(path).slice(0, 2).to_pylist()] for path in outputs]
    assert ["plain note 100", 'line one of 101\nline "two", ""quoted""\r\nthree'] in starts
    print(f"peak RSS {rss:.0f} MiB")
    assert rss < RSS_LIMIT_MIB, f"peak RSS {rss:.0f} MiB while moving a 2 GiB object"
