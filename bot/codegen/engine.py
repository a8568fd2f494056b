"""Which engine a plan's code runs on: pandas for tables that fit, DuckDB for large ones.

pandas loads the whole table, which a 10 GB table under a 4 GB memory limit cannot
survive; DuckDB streams the Parquet cache in bounded memory and spills what does not fit.
Small tables keep pandas: its code is the one people read and rerun most easily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.models import Dataset


@dataclass(frozen=True)
class Engine:
    kind: Literal["pandas", "duckdb"] = "pandas"
    rows: int | None = None  # the table's row count, for the comment that explains the choice
    # Integer columns: DuckDB sums them as 128-bit integers, which pandas would get as
    # floats; the SQL casts their sums back so both engines give the same numbers.
    integer_columns: frozenset[str] = frozenset()
    # (column, pandas dtype) as in the Parquet cache: a table DuckDB hands to pandas gets
    # them back (its integers arrive as int64 where pandas read Int64).
    dtypes: tuple[tuple[str, str], ...] = ()
    # Columns known to hold each value once (ColumnProfile.unique): a distinct count of
    # one is a plain count of its values, which needs no hash set of 50M order ids.
    unique_columns: frozenset[str] = frozenset()


PANDAS = Engine()


def choose_engine(dataset: Dataset, duckdb_min_rows: int) -> Engine:
    """DuckDB for tables with at least `duckdb_min_rows` rows, else pandas."""
    profile = dataset.profile
    if profile.rows < duckdb_min_rows:
        return PANDAS
    integers = frozenset(c.name for c in profile.columns if c.kind == "integer")
    dtypes = tuple((c.name, c.dtype) for c in profile.columns)
    unique = frozenset(c.name for c in profile.columns if c.unique)
    return Engine(
        "duckdb", rows=profile.rows, integer_columns=integers, dtypes=dtypes, unique_columns=unique
    )
