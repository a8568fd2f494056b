"""Every bad file gets its own IngestError naming the file and the problem, and no cache."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bot.errors import (
    BinaryFile,
    EmptyFile,
    FileMissing,
    FileTooLarge,
    IngestError,
    MalformedFile,
    TruncatedFile,
    UnsupportedFileType,
)
from bot.ingest import ingest
from bot.settings import Settings


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        (directory / name).write_bytes(data)
        return directory / name

    return make


def _missing(directory: Path) -> Path:
    return directory / "nowhere.csv"


def _truncated_xlsx(directory: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    for i in range(200):
        book.active.append([i, f"row {i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    (directory / "cut.xlsx").write_bytes(data[: len(data) // 2])
    return directory / "cut.xlsx"


def _truncated_parquet(directory: Path) -> Path:
    pd.DataFrame({"a": range(1000)}).to_parquet(directory / "cut.parquet")
    data = (directory / "cut.parquet").read_bytes()
    (directory / "cut.parquet").write_bytes(data[: len(data) // 2])
    return directory / "cut.parquet"


def _not_a_workbook(directory: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    (directory / "letter.xlsx").write_bytes(buffer.getvalue())
    return directory / "letter.xlsx"


CASES: list[tuple[str, Callable[[Path], Path], type[IngestError], tuple[str, ...]]] = [
    ("missing", _missing, FileMissing, ("does not exist",)),
    ("zero-bytes", _write("empty.csv", b""), EmptyFile, ("empty", "0 bytes")),
    ("whitespace", _write("blank.csv", b"  \r\n\t\n  "), EmptyFile, ("empty", "whitespace")),
    ("header-only", _write("header.csv", b"a,b,c\n"), EmptyFile, ("empty", "no data rows")),
    ("empty-json-array", _write("none.json", b"[]"), EmptyFile, ("empty", "no records")),
    ("nul-bytes", _write("blob.csv", bytes(range(256)) * 64), BinaryFile, ("binary",)),
    ("undecodable", _write("noise.csv", bytes(range(128, 256)) * 8), BinaryFile, ("binary",)),
    ("pdf-as-csv", _write("scan.csv", b"%PDF-1.7\n%\xe2\xe3"), BinaryFile, ("binary", "PDF")),
    ("truncated-xlsx", _truncated_xlsx, TruncatedFile, ("truncated",)),
    ("truncated-parquet", _truncated_parquet, TruncatedFile, ("truncated", "footer")),
    (
        "truncated-jsonl",
        _write("log.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": 3, "b'),
        TruncatedFile,
        ("truncated", "line 3"),
    ),
    (
        "truncated-quote",
        _write("quote.csv", b'a,b\n1,"never closed\n'),
        TruncatedFile,
        ("truncated", "quoted"),
    ),
    ("pdf", _write("report.pdf", b"%PDF-1.7\n"), UnsupportedFileType, ("not", ".pdf", ".xlsx")),
    ("docx", _write("memo.docx", b"PK\x03\x04"), UnsupportedFileType, ("not", ".docx", ".csv")),
    ("exe", _write("tool.exe", b"MZ\x90\x00"), UnsupportedFileType, ("not", ".exe", ".parquet")),
    ("xls", _write("old.xls", b"\xd0\xcf\x11\xe0"), UnsupportedFileType, ("not", ".xlsx")),
    (
        "ragged-csv",
        _write("ragged.csv", b"a,b\n1,2\n3,4,5,6\n7,8\n"),
        MalformedFile,
        ("line 3", "expected 2 fields"),
    ),
    (
        "bad-jsonl-line",
        _write("bad.jsonl", b'{"a": 1}\n{oops}\n{"a": 2}\n'),
        MalformedFile,
        ("line 2", "not valid json"),
    ),
    ("csv-as-xlsx", _write("sheet.xlsx", b"a,b\n1,2\n"), MalformedFile, ("not an excel",)),
    ("foreign-zip", _not_a_workbook, MalformedFile, ("not a readable excel",)),
]


@pytest.mark.parametrize(
    ("make", "error", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_file(
    tmp_path: Path,
    settings: Settings,
    datasets: Path,
    make: Callable[[Path], Path],
    error: type[IngestError],
    words: tuple[str, ...],
) -> None:
    path = make(tmp_path)
    with pytest.raises(error) as caught:
        ingest(path, settings)
    message = caught.value.user_message
    assert path.name in message, message
    for word in words:
        assert word.lower() in message.lower(), message
    assert not datasets.exists() or not any(datasets.iterdir())


def test_too_large_is_refused_before_reading(tmp_path: Path, datasets: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", db_path=tmp_path / "t.db", max_upload_mb=1)
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(3 * 1024 * 1024)  # sparse: NUL bytes that would be "binary" if read
    with pytest.raises(FileTooLarge) as caught:
        ingest(path, settings)
    message = caught.value.user_message
    assert "huge.csv" in message and "3.0 MB" in message and "1 MB upload limit" in message
    assert not datasets.exists()


def test_a_folder_is_not_a_file(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "data.csv").mkdir()
    with pytest.raises(FileMissing, match=r"data\.csv is a folder"):
        ingest(tmp_path / "data.csv", settings)
