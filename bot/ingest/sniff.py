"""What kind of file this is: by its extension, checked against its first and last bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from bot.errors import BinaryFile, MalformedFile, TruncatedFile, UnsupportedFileType

Format = Literal["csv", "excel", "parquet", "jsonl"]

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
SUPPORTED = (
    "CSV or delimited text (.csv, .tsv, .txt), Excel workbooks (.xlsx), "
    "Parquet (.parquet) and JSON lines (.jsonl, .ndjson, or .json holding an array of records)"
)

ZIP = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
PARQUET = b"PAR1"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls/.doc, and password-protected .xlsx

# Signatures that mean "this is not text", with what to call them in a message.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (ZIP, "a zip archive (an Excel workbook is one)"),
    (PARQUET, "a Parquet file"),
    (OLE2, "a legacy Office document"),
    (b"%PDF-", "a PDF document"),
    (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def file_format(path: Path) -> Format:
    """The format the file's extension promises; files without one are judged by content."""
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if not suffix:
        head = _head(path, 8)
        if head.startswith(PARQUET):
            return "parquet"
        if head.startswith(ZIP):
            return "excel"
        return "csv"
    hint = " Save it as .xlsx and upload it again." if suffix == ".xls" else ""
    raise UnsupportedFileType(
        f"{path.name} cannot be read: {suffix} files are not supported.{hint} "
        f"ThreadLab reads {SUPPORTED}."
    )


def check_magic(path: Path, fmt: Format, size: int) -> None:
    """Refuses a file whose bytes do not match what its extension says it is."""
    head = _head(path, 8)
    name = path.name
    if fmt == "excel":
        if head.startswith(OLE2):
            raise UnsupportedFileType(
                f"{name} is a legacy Excel 97-2003 workbook or a password-protected file. "
                "Save it as an .xlsx workbook without a password and upload it again."
            )
        if not head.startswith((ZIP, EMPTY_ZIP)):
            raise MalformedFile(
                f"{name} is not an Excel workbook: it does not start like an .xlsx file."
            )
    elif fmt == "parquet":
        if not head.startswith(PARQUET):
            raise MalformedFile(
                f"{name} is not a Parquet file: it does not start with the Parquet marker."
            )
        if size < 12 or _tail(path, 4) != PARQUET:
            raise TruncatedFile(
                f"{name} is truncated: the Parquet file ends before its footer. Upload it again."
            )
    elif not head.startswith(UTF16_BOMS):
        for signature, what in BINARY_SIGNATURES:
            if head.startswith(signature):
                raise BinaryFile(
                    f"{name} is a binary file ({what}), not text, so it cannot be read as a table."
                )


def _head(path: Path, n: int) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def _tail(path: Path, n: int) -> bytes:
    with path.open("rb") as f:
        f.seek(-n, 2)
        return f.read(n)
