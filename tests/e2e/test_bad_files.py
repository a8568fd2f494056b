"""A bad file gets one clear message naming it, a non-zero exit, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import Ask


def _empty(d: Path) -> Path:
    (d / "empty.csv").write_bytes(b"")
    return d / "empty.csv"


def _binary(d: Path) -> Path:
    (d / "blob.csv").write_bytes(bytes(range(256)) * 64)
    return d / "blob.csv"


def _unsupported(d: Path) -> Path:
    (d / "report.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    return d / "report.pdf"


def _truncated(d: Path) -> Path:
    pd.DataFrame({"a": range(1000)}).to_parquet(d / "cut.parquet")
    data = (d / "cut.parquet").read_bytes()
    (d / "cut.parquet").write_bytes(data[: len(data) // 2])
    return d / "cut.parquet"


def _too_large(d: Path) -> Path:
    with (d / "huge.csv").open("w") as f:
        f.write("a,b\n")
        f.write("1,2\n" * 400_000)  # 1.6 MB against a 1 MB limit
    return d / "huge.csv"


def _missing(d: Path) -> Path:
    return d / "nowhere.csv"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_empty, "empty"),
        (_binary, "binary"),
        (_unsupported, "not"),
        (_truncated, "truncated"),
        (_too_large, "limit"),
        (_missing, "not exist"),
    ],
    ids=["empty", "binary", "unsupported", "truncated", "too_large", "missing"],
)
def test_bad_file_gets_a_clear_message(ask: Ask, tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    data = make(tmp_path)
    result = ask(data, "describe the data", env={"THREADLAB_MAX_UPLOAD_MB": "1"})
    assert result.exit_code == 1
    assert result.json["status"] == "error"
    message = result.json["message"]
    assert data.name in message, message
    assert words in message.lower(), message
    assert "Traceback" not in result.stderr
    assert result.json["code"] == ""
