"""`threadlab pii scan` on a large file reads only the rows ingest decides from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import bot.ingest.stream as stream
from bot.pii.scan import sampled_rows, scan_file
from bot.settings import MIB, Settings


def _people(path: Path, rows: int) -> None:
    frame = pd.DataFrame(
        {
            "email": [f"user{i * 7919 % 1_000_003}.{i}@example.com" for i in range(rows)],
            "amount": [f"{i * 0.5:.2f}" for i in range(rows)],
            "city": ["Beijing", "Shanghai", "Chengdu", "Xi'an"] * (rows // 4),
        }
    )
    frame.to_csv(path, index=False)
    frame.to_parquet(path.with_suffix(".parquet"), index=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_large_file_is_scanned_in_its_first_rows_only(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "people.csv"
    _people(csv, 160_000)  # 7 MB as CSV, over 1 MB as Parquet
    path = csv.with_suffix(suffix)
    monkeypatch.setattr(stream, "SAMPLE_ROWS", 500)
    monkeypatch.setattr("bot.pii.scan.SAMPLE_ROWS", 500)
    small = Settings(data_dir=tmp_path / "data", stream_ingest_mb=64)
    large = Settings(data_dir=tmp_path / "data", stream_ingest_mb=1)
    threshold = large.stream_ingest_mb * MIB
    assert path.stat().st_size > threshold

    # Read whole, detection looks at 1,000 values per column; from the first 500 rows,
    # at those 500 only.
    assert sampled_rows(path, small) is None
    whole = {c.decision.column: c.decision for c in scan_file(path, small)}
    assert whole["email"].pii_type == "email" and whole["email"].sampled == 1000
    assert sampled_rows(path, large) == 500
    head = {c.decision.column: c.decision for c in scan_file(path, large)}
    assert head["email"].pii_type == "email" and head["email"].sampled == 500
    assert head["city"].pii_type is None
