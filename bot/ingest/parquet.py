"""Parquet files: read with their own types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bot.errors import MalformedFile, TruncatedFile
from bot.ingest.columns import unique_names


def read_parquet(path: Path) -> pd.DataFrame:
    """The table, with a stored index (if any) turned back into columns."""
    name = path.name
    try:
        frame: pd.DataFrame = pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as exc:
        if "footer" in str(exc).lower() or "magic" in str(exc).lower():
            raise TruncatedFile(f"{name} is truncated: its Parquet footer is damaged.") from exc
        raise MalformedFile(f"{name} could not be read as Parquet: {exc}.") from exc
    except pa.ArrowException as exc:
        raise MalformedFile(f"{name} could not be read as Parquet: {exc}.") from exc
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = pd.Index(unique_names(frame.columns))
    return frame
