"""CSV and other delimited text, read as strings (types are inferred afterwards)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from bot.errors import BinaryFile, EmptyFile, IngestError, MalformedFile, TruncatedFile
from bot.ingest.columns import header_text, unique_names
from bot.ingest.text import TextFormat, detect

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_delimited(path: Path, rows: int | None = None) -> tuple[pd.DataFrame, TextFormat]:
    """All cells as strings (missing ones null); the first row names the columns.
    `rows`: read only that many data rows."""
    fmt = text_format(path)
    name = path.name
    options = pandas_options(fmt)
    if rows is not None:
        options["nrows"] = rows + 1  # the header is a row here
    try:
        raw = pd.read_csv(path, **options)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise read_error(name, fmt, exc) from exc
    headers = raw.iloc[0].tolist()
    data = raw.iloc[1:]
    if data.empty:
        raise EmptyFile(f"{name} is empty: it has a header row but no data rows.")
    keep = [i for i, h in enumerate(headers) if header_text(h) or has_values(data[raw.columns[i]])]
    frame = data[[raw.columns[i] for i in keep]].reset_index(drop=True)
    frame.columns = pd.Index(unique_names(headers[i] for i in keep))
    return frame, fmt


def text_format(path: Path) -> TextFormat:
    """The file's encoding and delimiter (tab preferred for .tsv, else comma)."""
    return detect(path, preferred_delimiter="\t" if path.suffix.lower() == ".tsv" else ",")


def pandas_options(fmt: TextFormat) -> dict[str, Any]:
    """How pandas reads delimited text here: every cell a string, the header as a row."""
    return {
        "sep": fmt.delimiter,
        "encoding": fmt.encoding,
        "encoding_errors": "strict",
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_values": [],
        "quotechar": '"',
        "engine": "c",
        "low_memory": False,
    }


def read_error(name: str, fmt: TextFormat, exc: Exception) -> IngestError:
    """The error to raise for what pandas raised while reading the file."""
    if isinstance(exc, pd.errors.EmptyDataError):
        return EmptyFile(f"{name} is empty: it has no header row and no data.")
    if isinstance(exc, UnicodeDecodeError):
        return BinaryFile(f"{name} is not readable {fmt.encoding} text: {exc.reason}.")
    detail = re.sub(r"^.*C error: ", "", str(exc)).strip().rstrip(".")
    if "EOF inside string" in detail:
        start = re.search(r"row (\d+)", detail)
        where = f" that opens on line {int(start.group(1)) + 1}" if start else ""
        return TruncatedFile(f"{name} is truncated: it ends inside a quoted value{where}.")
    return MalformedFile(
        f"{name} could not be read as {delimiter_name(fmt)}-separated text: {detail}."
    )


def delimiter_name(fmt: TextFormat) -> str:
    return DELIMITER_NAMES.get(fmt.delimiter, repr(fmt.delimiter))


def has_values(column: pd.Series) -> bool:
    """Whether a column of strings holds anything but blanks and nulls."""
    return bool(column.fillna("").str.strip().ne("").any())
