"""The yardstick dataset: 20-column CSV files of 250k rows (bench support).

Ints, floats, timestamps, quoted strings with commas, quotes and newlines, ~1 % empty cells,
~275 bytes per row, as ../shared/perf-yardstick.md describes. Generated with numpy + pyarrow so
making 5M rows takes seconds; the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROWS_PER_FILE = 250_000
WORDS = np.array(["alpha", "beta, gamma", 'say "hi"', "line\nbreak", "delta", "epsilon", "zeta eta", "theta"])


def _strings(rng: np.random.Generator, n: int, words: int) -> pa.Array:
    picks = rng.integers(0, len(WORDS), size=(n, words))
    joined = [" ".join(WORDS[row]) for row in picks]
    return pa.array(joined)


def _with_nulls(rng: np.random.Generator, array: pa.Array) -> pa.Array:
    mask = pa.array(rng.random(len(array)) < 0.01)
    return pc.if_else(mask, pa.scalar(None, array.type), array)


def make_file(path: Path, seed: int, rows: int = ROWS_PER_FILE) -> None:
    """Write one CSV file of `rows` rows."""
    rng = np.random.default_rng(seed)
    ids = np.arange(seed * rows, seed * rows + rows)
    base = np.datetime64("2024-01-01T00:00:00")
    columns = {
        "id": pa.array(ids),
        "customer_id": pa.array(rng.integers(1, 100_000, rows)),
        "order_ts": pa.array(base + rng.integers(0, 86_400 * 365, rows).astype("timedelta64[s]")),
        "amount": pa.array(np.round(rng.gamma(2.0, 50.0, rows), 2)),
        "price": pa.array(np.round(rng.uniform(1, 500, rows), 2)),
        "qty": pa.array(rng.integers(1, 20, rows)),
        "email": pa.array([f"user{i}@example.com" for i in rng.integers(0, 1_000_000, rows)]),
        "description": _strings(rng, rows, 7),
        "country": pa.array(rng.choice(np.array(["DE", "FR", "US", "JP", "BR", "IN"]), rows)),
        "status": pa.array(rng.choice(np.array(["new", "paid", "shipped", "returned"]), rows)),
        "discount": pa.array(np.round(rng.uniform(0, 0.3, rows), 3)),
        "tax": pa.array(np.round(rng.uniform(0, 40, rows), 2)),
        "channel": pa.array(rng.choice(np.array(["web", "store", "phone"]), rows)),
        "sku": pa.array([f"SKU-{i:06d}" for i in rng.integers(0, 999_999, rows)]),
        "warehouse": pa.array(rng.integers(1, 50, rows)),
        "weight_kg": pa.array(np.round(rng.uniform(0.1, 30, rows), 3)),
        "notes": _strings(rng, rows, 3),
        "rating": pa.array(rng.integers(1, 6, rows)),
        "updated_ts": pa.array(base + rng.integers(0, 86_400 * 365, rows).astype("timedelta64[s]")),
        "flag": pa.array(rng.random(rows) < 0.5),
    }
    table = pa.table({k: _with_nulls(rng, v) if k not in ("id",) else v for k, v in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)


def make_dataset(folder: Path, rows: int) -> list[Path]:
    """`rows` rows split into 250k-row files under `folder` (reused when already there)."""
    files = []
    for index in range(max(1, rows // ROWS_PER_FILE)):
        path = folder / f"part-{index:04d}.csv"
        if not path.exists():
            make_file(path, seed=index, rows=min(ROWS_PER_FILE, rows))
        files.append(path)
    return files
