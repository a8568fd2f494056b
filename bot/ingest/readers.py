"""One entry point over the format readers: a raw table and how it was read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bot.ingest.delimited import read_delimited
from bot.ingest.excel import read_excel
from bot.ingest.jsonl import read_json_records
from bot.ingest.parquet import read_parquet
from bot.ingest.sniff import Format


@dataclass(frozen=True)
class RawTable:
    """Columns as read (strings, Python values or typed), before type inference."""

    frame: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def read_table(
    path: Path, fmt: Format, sheet: str | None = None, rows: int | None = None
) -> RawTable:
    """The file as read; `rows` limits CSV and Parquet files to their first rows."""
    if fmt == "csv":
        frame, text = read_delimited(path, rows)
        return RawTable(frame, encoding=text.encoding, delimiter=text.delimiter)
    if fmt == "excel":
        frame, chosen = read_excel(path, sheet)
        return RawTable(frame, sheet=chosen)
    if fmt == "parquet":
        return RawTable(read_parquet(path, rows))
    frame, encoding = read_json_records(path)
    return RawTable(frame, encoding=encoding)
