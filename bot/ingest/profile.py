"""The profile of a typed table: rows, and per column its kind, nulls, range and examples."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bot.models import ColumnKind, ColumnProfile, DatasetProfile

EXAMPLES = 3
RANGED: frozenset[ColumnKind] = frozenset({"integer", "number", "datetime"})


def profile_frame(frame: pd.DataFrame, kinds: dict[str, ColumnKind]) -> DatasetProfile:
    return DatasetProfile(
        rows=len(frame),
        columns=[profile_column(str(name), frame[name], kinds[name]) for name in frame.columns],
    )


def profile_column(name: str, series: pd.Series, kind: ColumnKind) -> ColumnProfile:
    """Min and max for numbers and dates only; dates as ISO strings (date-only when midnight)."""
    values = series.dropna()
    date_only = kind == "datetime" and bool((values.dt.normalize() == values).all())
    low = high = None
    if kind in RANGED and not values.empty:
        low = json_value(values.min(), kind, date_only)
        high = json_value(values.max(), kind, date_only)
    examples = [json_value(v, kind, date_only) for v in values.unique()[: EXAMPLES * 2]]
    distinct = int(series.nunique(dropna=True))
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=str(series.dtype),
        nulls=int(series.isna().sum()),
        distinct=distinct,
        unique=distinct == len(values),
        min=low,
        max=high,
        examples=[e for e in examples if e is not None][:EXAMPLES],
    )


def json_value(value: Any, kind: ColumnKind, date_only: bool = False) -> Any:
    """A value as JSON can hold it: int, finite float, bool, or string."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if date_only else stamp.isoformat()
    if kind == "integer":
        return int(value)
    if kind == "number":
        number = float(value)
        return number if math.isfinite(number) else None
    if kind == "boolean":
        return bool(value)
    return str(value)
