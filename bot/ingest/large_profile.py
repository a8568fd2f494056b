"""The profile of a large Parquet cache, computed by DuckDB from the file, not from memory.

The small path profiles the whole table in pandas (`profile.profile_frame`). A large table
is never in memory whole, so DuckDB scans the file instead, under the ingest memory limit
and spilling to a temporary directory next to the file. Rows, nulls and min/max are exact
and formatted as `profile.json_value` formats them. Distinct counts are estimates where
they are large: a HyperLogLog with 2**14 registers (about 0.8% standard error), whose
registers DuckDB fills in the scan; DuckDB's own `approx_count_distinct` was measured at
some 4% standard error (9% at worst) here. Estimates up to EXACT_BELOW are replaced by
exact counts, cheap at that size, so "5 regions" is never "6 regions".

Examples and dtypes come from a sample of the table (its first rows), which holds what
the small path's examples hold: the first distinct values.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from bot.ingest.profile import EXAMPLES, RANGED, json_value
from bot.models import ColumnKind, ColumnProfile, DatasetProfile
from bot.settings import Settings

DAY_US = 86_400_000_000
DAY_NS = DAY_US * 1000
MAX_THREADS = 8
EXACT_BELOW = 100_000  # distinct estimates up to this are replaced by exact counts
REGISTER_BITS = 14  # HyperLogLog: 2**14 registers, standard error 1.04 / 2**7
RANK_BITS = 64 - REGISTER_BITS


def profile_parquet(
    data: Path, sample: pd.DataFrame, kinds: dict[str, ColumnKind], settings: Settings
) -> DatasetProfile:
    """Profiles the Parquet file `data`, whose columns are `sample`'s, in `sample`'s order."""
    source = f"read_parquet({literal(str(data))})"
    plans = [_Plan(str(name), kinds[str(name)], sample[name]) for name in sample.columns]
    selects = ["count(*)"]
    for plan in plans:
        plan.start = len(selects)
        selects.extend(plan.selects())
    with _connect(data.parent, settings) as connection:
        row = _one(connection, f"SELECT {', '.join(selects)} FROM {source}")
        rows = int(row[0])
        estimated = [plan for plan in plans if not plan.counted_exactly]
        estimates = _estimate_distinct(connection, source, estimated)
        recount = [plan for plan in estimated if estimates[plan.name] <= EXACT_BELOW]
        if recount:
            counts = [f"count(DISTINCT {plan.value})" for plan in recount]
            exact = _one(connection, f"SELECT {', '.join(counts)} FROM {source}")
            estimates.update(zip((plan.name for plan in recount), exact, strict=True))
    return DatasetProfile(
        rows=rows, columns=[plan.profile(row, rows, estimates.get(plan.name)) for plan in plans]
    )


def count_rows(
    data: Path, conditions: dict[str, str], work: Path, settings: Settings
) -> dict[str, int]:
    """How many rows of the Parquet file `data` meet each SQL condition (by key), in one
    scan. `work`: where DuckDB may spill."""
    if not conditions:
        return {}
    selects = [f"count(*) FILTER (WHERE {condition})" for condition in conditions.values()]
    query = f"SELECT {', '.join(selects)} FROM read_parquet({literal(str(data))})"
    with _connect(work, settings) as connection:
        row = _one(connection, query)
    return {key: int(n) for key, n in zip(conditions, row, strict=True)}


def missing(name: str, floating: bool) -> str:
    """SQL: the column's value is what pandas calls missing (NaN too, in a float column)."""
    column = quote(name)
    return f"({column} IS NULL OR isnan({column}))" if floating else f"{column} IS NULL"


@contextlib.contextmanager
def _connect(work: Path, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB under the ingest memory limit, spilling to a temporary
    directory in `work` that is removed afterwards."""
    spill = Path(tempfile.mkdtemp(dir=work, prefix=".duckdb."))
    try:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{settings.ingest_memory_mb}MB",
            "temp_directory": str(spill),
            "threads": max(1, min(os.cpu_count() or 1, MAX_THREADS)),
            "preserve_insertion_order": False,
        }
        with duckdb.connect(":memory:", config=config) as connection:
            yield connection
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _one(connection: duckdb.DuckDBPyConnection, query: str) -> tuple[Any, ...]:
    result = connection.execute(query).fetchone()
    assert result is not None, "an aggregate query returns one row"
    return tuple(result)


def _estimate_distinct(
    connection: duckdb.DuckDBPyConnection, source: str, plans: list[_Plan]
) -> dict[str, int]:
    """HyperLogLog per column: the top REGISTER_BITS of a value's 64-bit hash pick its
    register, the position of the lowest set bit of the rest is its rank; each register
    keeps the highest rank. One scan per column, of that column only."""
    if not plans:
        return {}
    low_bits, sentinel = (1 << RANK_BITS) - 1, 1 << RANK_BITS
    branches = [
        f"SELECT {i} AS col, h >> {RANK_BITS} AS reg, "
        f"max(bit_count(xor((h & {low_bits}) | {sentinel}, ((h & {low_bits}) | {sentinel}) - 1)))"
        f" AS rank FROM (SELECT hash({plan.value}) AS h FROM {source} "
        f"WHERE {plan.value} IS NOT NULL) GROUP BY reg"
        for i, plan in enumerate(plans)
    ]
    registers = np.zeros((len(plans), 1 << REGISTER_BITS))
    for column, register, rank in connection.execute(" UNION ALL ".join(branches)).fetchall():
        registers[int(column), int(register)] = rank
    return {plan.name: _hll(registers[i]) for i, plan in enumerate(plans)}


def _hll(registers: np.ndarray) -> int:
    """The HyperLogLog estimate (Flajolet et al. 2007) with linear counting when small."""
    m = len(registers)
    alpha = 0.7213 / (1 + 1.079 / m)
    estimate = alpha * m * m / float(np.sum(2.0**-registers))
    empty = int(np.count_nonzero(registers == 0))
    if estimate <= 2.5 * m and empty:
        estimate = m * np.log(m / empty)
    return round(estimate)


class _Plan:
    """The aggregates one column needs, and how to read them back into a ColumnProfile."""

    def __init__(self, name: str, kind: ColumnKind, sample: pd.Series) -> None:
        self.name, self.kind, self.sample = name, kind, sample
        self.start = 0
        dtype = sample.dtype
        self.floating = bool(ptypes.is_float_dtype(dtype))
        self.tz = getattr(dtype, "tz", None)
        # Epoch counts in nanoseconds for ns columns, microseconds for the rest (s, ms, us).
        self.unit = "ns" if getattr(dtype, "unit", None) == "ns" else "us"

    @property
    def value(self) -> str:
        """The column as DuckDB should aggregate it."""
        column = quote(self.name)
        if self.floating:  # NaN is missing to pandas (the small path), a value to DuckDB
            return f"CASE WHEN isnan({column}) THEN NULL ELSE {column} END"
        return column

    @property
    def counted_exactly(self) -> bool:
        return self.kind == "boolean"

    def selects(self) -> list[str]:
        column, value = quote(self.name), self.value
        out = [f"count({value})"]
        if self.counted_exactly:
            out.append(f"count(DISTINCT {value})")
        if self.kind == "datetime":
            epoch = "epoch_ns" if self.unit == "ns" else "epoch_us"
            day = DAY_NS if self.unit == "ns" else DAY_US
            out += [
                f"{epoch}(min({column}))",
                f"{epoch}(max({column}))",
                f"bool_and({epoch}({column}) % {day} = 0)",
            ]
        elif self.kind in RANGED:
            out += [f"min({value})", f"max({value})"]
        return out

    def profile(self, row: tuple[Any, ...], rows: int, distinct: int | None) -> ColumnProfile:
        present = row[self.start]
        at = self.start + 1
        if self.counted_exactly:
            distinct, at = row[at], at + 1
        low = high = None
        date_only = False
        if self.kind == "datetime":
            low, high = self._stamp(row[at]), self._stamp(row[at + 1])
            date_only = bool(row[at + 2])
            if self.tz is not None and str(self.tz) != "UTC":
                # Midnight in a zone with daylight saving is not a whole number of days
                # since the epoch: judge by the sample there.
                values = self.sample.dropna()
                date_only = bool((values.dt.normalize() == values).all())
        elif self.kind in RANGED:
            low, high = row[at], row[at + 1]
        values = self.sample.dropna()
        examples = [json_value(v, self.kind, date_only) for v in values.unique()[: EXAMPLES * 2]]
        return ColumnProfile(
            name=self.name,
            kind=self.kind,
            dtype=str(self.sample.dtype),
            nulls=rows - int(present),
            distinct=int(distinct or 0),
            min=json_value(low, self.kind, date_only),
            max=json_value(high, self.kind, date_only),
            examples=[e for e in examples if e is not None][:EXAMPLES],
        )

    def _stamp(self, epoch: int | None) -> pd.Timestamp | None:
        if epoch is None:
            return None
        stamp = pd.Timestamp(epoch, unit=self.unit)
        if self.tz is not None:
            stamp = stamp.tz_localize("UTC").tz_convert(self.tz)
        return stamp


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"
