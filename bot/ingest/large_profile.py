"""The profile of a large Parquet file, computed by DuckDB from the file, not from memory.

The small path profiles the whole table in pandas (`profile.profile_frame`). A large table
is never in memory whole, so DuckDB scans the file instead, under the ingest memory limit
and spilling to a temporary directory. Rows, nulls and min/max are exact and formatted as
`profile.json_value` formats them. The scans are few and share their work:

1. counts and min/max that Parquet's statistics answer (no scan at all), then, for an
   integer column whose values strictly rise or fall through the sample (order ids,
   sequence numbers), one read of that column that proves it unique (monotonic.py): its
   distinct count is then exact, and later `count(DISTINCT ...)` over it needs no hash
   set (the engine's unique columns);
2. one scan for what they cannot: NaN in float columns (missing to pandas), whether
   timestamps are whole days, and each column's distinct count estimate (DuckDB's
   `approx_count_distinct`: some 3.5% standard error, 9% at worst measured; a unique
   column of 10M rows was estimated at 10.8M, so an estimate is capped at the column's
   count of values, which makes a unique column's exact). No `count(DISTINCT)` here:
   DuckDB then plans the whole query otherwise, slower and with far more memory;
3. one query reading the distinct values (`SELECT DISTINCT`, a branch per column) of each
   column estimated at no more than EXACT_BELOW, and of booleans: their count replaces
   the estimate, so "5 regions" is never "6 regions" (the planner only cares about small
   counts: charts of some 50 groups at most). Larger counts stay estimates, and whether
   such a column is unique stays unknown (None) unless the first step proved it.

`scan_parquet` can also check, in the same scans, what would keep the file from being
cached as it is: a row with no value, or text matching a pattern. A text column's pattern
is matched against its distinct values where they are read anyway (checked text columns
read theirs up to CHECKED_EXACT_BELOW: cheaper than matching every row), else against
every row.

Examples and dtypes come from a sample of the table (its first rows), which holds what
the small path's examples hold: the first distinct values.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from pandas.api import types as ptypes

from bot.ingest.monotonic import strictly_monotonic
from bot.ingest.profile import EXAMPLES, RANGED, json_value
from bot.models import ColumnKind, ColumnProfile, DatasetProfile
from bot.settings import Settings
from bot.sql_text import ident, string_literal

DAY_US = 86_400_000_000
DAY_NS = DAY_US * 1000
MAX_THREADS = 8
# Distinct estimates up to this are replaced by exact counts.
EXACT_BELOW = 100_000
# Checked text columns: up to this, matching the distinct values beats matching every row
# (10M rows of 1M distinct strings: 0.37 s against 0.51 s; of 10M distinct: 1.8 s to 0.4 s).
CHECKED_EXACT_BELOW = 1_000_000


def profile_parquet(
    data: Path, sample: pd.DataFrame, kinds: dict[str, ColumnKind], settings: Settings
) -> DatasetProfile:
    """Profiles the Parquet file `data`, whose columns are `sample`'s, in `sample`'s order."""
    profile = scan_parquet(data, sample, kinds, settings, work=data.parent)
    assert profile is not None, "nothing to check"
    return profile


def scan_parquet(
    data: Path,
    sample: pd.DataFrame,
    kinds: dict[str, ColumnKind],
    settings: Settings,
    *,
    work: Path,
    patterns: Mapping[str, str] | None = None,
    blank: bool = False,
) -> DatasetProfile | None:
    """The profile of the Parquet file `data` (as `profile_parquet`), or None when a check
    finds something: with `blank`, a row where every column is missing; in a text column
    named in `patterns`, a value matching its RE2 pattern. `work`: where DuckDB may spill."""
    patterns = patterns or {}
    source = f"read_parquet({string_literal(str(data))})"
    plans = [
        _Plan(str(name), kinds[str(name)], sample[name], patterns.get(str(name)))
        for name in sample.columns
    ]
    with _connect(work, settings) as connection:
        stats = [s for plan in plans for s in plan.stats_selects()]
        row = _one(connection, f"SELECT {', '.join(['count(*)', *stats])} FROM {source}")
        rows = int(row[0])
        at = 1
        for plan in plans:
            at = plan.read_stats(row, at)
            if plan.may_be_monotonic and strictly_monotonic(data, plan.name):
                plan.unique, plan.distinct = True, plan.present
        scans = [s for plan in plans for s in plan.scan_selects()]
        row = _one(connection, f"SELECT {', '.join(scans)} FROM {source}") if scans else ()
        at = 0
        for plan in plans:
            at = plan.read_scan(row, at)
        exact = [plan for plan in plans if plan.reads_distinct]
        if exact and _distinct(connection, source, exact):
            return None
        checks = [
            f"regexp_matches({ident(p.name)}, {string_literal(p.pattern)})"
            for p in plans
            if p.pattern is not None and not p.checks_distinct
        ]
        if blank and all(plan.present < rows for plan in plans):  # else no row is blank
            checks.append("(" + " AND ".join(f"{plan.value} IS NULL" for plan in plans) + ")")
        if checks:
            query = f"SELECT count(*) FILTER (WHERE {' OR '.join(checks)}) FROM {source}"
            if _one(connection, query)[0]:
                return None
    return DatasetProfile(rows=rows, columns=[plan.profile(rows) for plan in plans])


def _distinct(connection: duckdb.DuckDBPyConnection, source: str, plans: list[_Plan]) -> bool:
    """Reads the exact distinct count of each plan's column, in one query (a branch per
    column, each reading that column only); whether a checked column's pattern matched
    one of its values."""
    branches = []
    for i, plan in enumerate(plans):
        hits = "0"
        if plan.checks_distinct and plan.pattern is not None:
            hits = f"count(*) FILTER (WHERE regexp_matches(v, {string_literal(plan.pattern)}))"
        branches.append(
            f"SELECT {i} AS i, count(v) AS n, {hits} AS hits "
            f"FROM (SELECT DISTINCT {plan.value} AS v FROM {source})"
        )
    found = False
    for i, n, hits in connection.execute(" UNION ALL ".join(branches)).fetchall():
        plans[int(i)].distinct = int(n)
        found = found or bool(hits)
    return found


@contextlib.contextmanager
def _connect(work: Path, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB under the ingest memory limit, spilling to a temporary
    directory in `work` that is removed afterwards."""
    work.mkdir(parents=True, exist_ok=True)
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


class _Plan:
    """The aggregates one column needs, and what they found."""

    def __init__(self, name: str, kind: ColumnKind, sample: pd.Series, pattern: str | None) -> None:
        self.name, self.kind, self.sample, self.pattern = name, kind, sample, pattern
        dtype = sample.dtype
        self.floating = bool(ptypes.is_float_dtype(dtype))
        self.tz = getattr(dtype, "tz", None)
        # Epoch counts in nanoseconds for ns columns, microseconds for the rest (s, ms, us).
        self.unit = "ns" if getattr(dtype, "unit", None) == "ns" else "us"
        self.present = 0
        self.distinct = 0
        self.unique: bool | None = None  # proven by the order of its values, or counted
        self.low: Any = None
        self.high: Any = None
        self.date_only = False
        self.reads_distinct = False  # for an exact count, or to match its pattern there
        self.checks_distinct = False  # its pattern is matched against its distinct values

    @property
    def value(self) -> str:
        """The column as DuckDB should aggregate it."""
        column = ident(self.name)
        if self.floating:  # NaN is missing to pandas (the small path), a value to DuckDB
            return f"CASE WHEN isnan({column}) THEN NULL ELSE {column} END"
        return column

    @property
    def may_be_monotonic(self) -> bool:
        """Worth proving unique by one read (monotonic.py): an integer column whose values
        strictly rise or fall through the sample."""
        if self.kind != "integer" or self.floating or not self.present:
            return False
        values = self.sample.dropna()
        ordered = values.is_monotonic_increasing or values.is_monotonic_decreasing
        return bool(ordered and values.is_unique)

    def stats_selects(self) -> list[str]:
        """What Parquet's statistics answer: counts of values, min and max (not of floats,
        whose NaN DuckDB counts as a value)."""
        if self.floating:
            return []
        column = ident(self.name)
        if self.kind == "datetime":
            epoch = "epoch_ns" if self.unit == "ns" else "epoch_us"
            return [f"count({column})", f"{epoch}(min({column}))", f"{epoch}(max({column}))"]
        if self.kind in RANGED:
            return [f"count({column})", f"min({column})", f"max({column})"]
        return [f"count({column})"]

    def read_stats(self, row: tuple[Any, ...], at: int) -> int:
        if self.floating:
            return at
        self.present = int(row[at])
        if self.kind == "datetime":
            self.low, self.high = self._stamp(row[at + 1]), self._stamp(row[at + 2])
            return at + 3
        if self.kind in RANGED:
            self.low, self.high = row[at + 1], row[at + 2]
            return at + 3
        return at + 1

    def scan_selects(self) -> list[str]:
        """What takes a scan of the column: NaN, whole days, distinct counts."""
        value = self.value
        out = []
        if self.floating:
            out.append(f"count({value})")
            if self.kind in RANGED:
                out += [f"min({value})", f"max({value})"]
        if self.kind == "datetime":
            epoch = "epoch_ns" if self.unit == "ns" else "epoch_us"
            day = DAY_NS if self.unit == "ns" else DAY_US
            out.append(f"bool_and({epoch}({ident(self.name)}) % {day} = 0)")
        if self.kind != "boolean" and not self.unique:  # (booleans: read exactly, cheaply)
            out.append(f"approx_count_distinct({value})")
        return out

    def read_scan(self, row: tuple[Any, ...], at: int) -> int:
        if self.floating:
            self.present, at = int(row[at]), at + 1
            if self.kind in RANGED:
                self.low, self.high, at = row[at], row[at + 1], at + 2
        if self.kind == "datetime":
            self.date_only, at = bool(row[at]), at + 1
            if self.tz is not None and str(self.tz) != "UTC":
                # Midnight in a zone with daylight saving is not a whole number of days
                # since the epoch: judge by the sample there.
                values = self.sample.dropna()
                self.date_only = bool((values.dt.normalize() == values).all())
        if self.kind != "boolean" and not self.unique:
            # An estimate may exceed the count of values: a unique column's comes out exact.
            self.distinct, at = min(int(row[at] or 0), self.present), at + 1
        if self.present and not self.unique:
            self.checks_distinct = self.pattern is not None and self.distinct <= CHECKED_EXACT_BELOW
            self.reads_distinct = self.distinct <= EXACT_BELOW or self.checks_distinct
        return at

    def profile(self, rows: int) -> ColumnProfile:
        values = self.sample.dropna()
        date_only = self.date_only
        examples = [json_value(v, self.kind, date_only) for v in values.unique()[: EXAMPLES * 2]]
        return ColumnProfile(
            name=self.name,
            kind=self.kind,
            dtype=str(self.sample.dtype),
            nulls=rows - self.present,
            distinct=self.distinct,
            unique=self.distinct == self.present if self.reads_distinct else self.unique,
            min=json_value(self.low, self.kind, date_only),
            max=json_value(self.high, self.kind, date_only),
            examples=[e for e in examples if e is not None][:EXAMPLES],
        )

    def _stamp(self, epoch: int | None) -> pd.Timestamp | None:
        if epoch is None:
            return None
        stamp = pd.Timestamp(epoch, unit=self.unit)
        if self.tz is not None:
            stamp = stamp.tz_localize("UTC").tz_convert(self.tz)
        return stamp
