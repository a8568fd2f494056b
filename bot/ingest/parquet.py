"""Parquet files: read with their own types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bot.errors import IngestError, MalformedFile, TruncatedFile
from bot.ingest.columns import unique_names


def read_parquet(path: Path, rows: int | None = None) -> pd.DataFrame:
    """The table (or its first `rows` rows), with a stored index (if any) turned back
    into columns."""
    name = path.name
    try:
        if rows is None:
            frame: pd.DataFrame = pq.read_table(path).to_pandas()
        else:
            file = pq.ParquetFile(path)
            first = next(file.iter_batches(batch_size=rows), None)
            table = file.schema_arrow.empty_table() if first is None else pa.table(first)
            frame = table.to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise parquet_error(name, exc) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = pd.Index(unique_names(frame.columns))
    return frame


def parquet_error(name: str, exc: Exception) -> IngestError:
    """The error to raise for what pyarrow raised while reading a Parquet file."""
    if isinstance(exc, pa.ArrowInvalid | OSError) and (
        "footer" in str(exc).lower() or "magic" in str(exc).lower()
    ):
        return TruncatedFile(f"{name} is truncated: its Parquet footer is damaged.")
    return MalformedFile(f"{name} could not be read as Parquet: {exc}.")
