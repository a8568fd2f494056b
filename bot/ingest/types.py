"""Column types: text read as strings becomes identifiers, integers, numbers, dates, booleans.

Text is inferred column by column, strictest first. Identifier-like digit strings (leading
zeros, 11+ digits such as phone and ID numbers, an ID number's trailing X) stay strings, so
an 18-digit ID never becomes a float. Columns that arrive typed (Parquet, Excel, JSON
numbers) keep their type; only their text columns go through the same inference.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import math
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes
from pandas.api.extensions import ExtensionDtype

from bot.models import ColumnKind

NULL_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "#n/a", "#na", "nat", "<na>", "-nan"}
)
TRUE = frozenset({"true", "yes", "是"})
FALSE = frozenset({"false", "no", "否"})
ID_DIGITS = r"\+?\d+[Xx]?"  # 18-digit resident ID numbers may end in X
CODE = r"[A-Za-z]{1,3}[-_]?\d{3,}"  # U000123, ORD-000042
INTEGER = r"[+-]?\d+"
NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
DATE_LIKE = r"\d{4}[-/.年]\d{1,2}.*"
DATE_FORMATS = (
    "ISO8601",  # 2025-01-31, 2025-01-31 12:00:00, 2025-01-31T12:00, 2025-01
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月",
)
DATE_SHARE = 0.95
MAX_INT_DIGITS = 18  # beyond this an int64 may overflow
TEXT_DTYPE: Final = "str"
DATETIME_DTYPE: Final = "datetime64[us]"
# A pandas dtype as a Series carries it.
Dtype = np.dtype[Any] | ExtensionDtype


def infer_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, ColumnKind]]:
    """The frame with inferred dtypes, and each column's logical kind."""
    columns: dict[str, pd.Series] = {}
    kinds: dict[str, ColumnKind] = {}
    for name in frame.columns:
        columns[name], kinds[name] = infer_column(frame[name])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame))), kinds


def infer_column(series: pd.Series) -> tuple[pd.Series, ColumnKind]:
    """One column: typed columns keep their type, text and mixed columns are inferred."""
    series = series.reset_index(drop=True)
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return series, "boolean"
    if ptypes.is_integer_dtype(dtype):
        return series, "integer"
    if ptypes.is_float_dtype(dtype):
        return series, "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return series, "datetime"
    if ptypes.is_string_dtype(dtype) and not ptypes.is_object_dtype(dtype):
        return infer_text(series)
    return _infer_objects(series)


def infer_text(series: pd.Series) -> tuple[pd.Series, ColumnKind]:
    """Strings (nulls allowed) to the strictest kind that every value fits."""
    text = series.astype(TEXT_DTYPE).str.strip()
    text = text.mask(text.str.lower().isin(NULL_TOKENS))
    values = text.dropna()
    if values.empty:
        return text, "text"
    lower = values.str.lower()
    if lower.isin(TRUE | FALSE).all():
        flags = text.str.lower().map(lambda v: v in TRUE, na_action="ignore")
        return flags.astype("boolean"), "boolean"
    if _is_identifier(values):
        return text, "identifier"
    if values.str.fullmatch(INTEGER).all():
        if values.str.lstrip("+-").str.len().max() <= MAX_INT_DIGITS:
            return pd.to_numeric(text, dtype_backend="numpy_nullable").astype("Int64"), "integer"
        return pd.to_numeric(text).astype("float64"), "number"
    if values.str.fullmatch(CODE).all():
        return text, "identifier"
    if values.str.fullmatch(NUMBER).all():
        return pd.to_numeric(text.str.replace(",", "", regex=False)).astype("float64"), "number"
    dates = _parse_dates(text, values)
    if dates is not None:
        return dates, "datetime"
    return text, "text"


def _is_identifier(values: pd.Series) -> bool:
    """Digit strings whose digits matter as written: leading zeros, 11+ digits, or an X."""
    if not values.str.fullmatch(ID_DIGITS).all():
        return False
    digits = values.str.lstrip("+").str.rstrip("Xx")
    leading_zero = (digits.str.startswith("0") & (digits.str.len() > 1)).any()
    long = (digits.str.len() >= 11).any()
    return bool(leading_zero or long or values.str.endswith(("X", "x")).any())


def _parse_dates(text: pd.Series, values: pd.Series) -> pd.Series | None:
    """Dates in the known formats when at least 95% of the values parse; the rest are NaT."""
    if values.str.fullmatch(DATE_LIKE).mean() < DATE_SHARE:
        return None
    parsed = _dates_in_formats(values)
    if parsed.notna().mean() < DATE_SHARE:
        return None
    return parsed.reindex(text.index).astype(DATETIME_DTYPE)


def _dates_in_formats(values: pd.Series) -> pd.Series:
    """Each value (non-null, stripped) in the first of DATE_FORMATS that reads it, else NaT."""
    parsed = pd.Series(pd.NaT, index=values.index, dtype=DATETIME_DTYPE)
    for fmt in DATE_FORMATS:
        missing = parsed.isna()
        if not missing.any():
            break
        candidates = values[missing]
        if fmt != "ISO8601":
            # A value without the separator after the year cannot match; leaving it out
            # changes nothing but time (failing values are the slow ones to try).
            candidates = candidates[candidates.str.contains(fmt[2], regex=False)]
            if candidates.empty:
                continue
        chunk = _to_datetime(candidates, fmt)
        if chunk is not None:
            parsed.loc[chunk.index] = chunk
    return parsed


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series | None:
    try:
        result = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return None
    if isinstance(result.dtype, pd.DatetimeTZDtype):  # offsets given: store as naive UTC
        result = result.dt.tz_convert("UTC").dt.tz_localize(None)
    return result.astype(DATETIME_DTYPE)


def _infer_objects(series: pd.Series) -> tuple[pd.Series, ColumnKind]:
    """Python values (Excel cells, JSON values): one clean type keeps it, a mix becomes text."""
    values = [None if _is_null(v) else v for v in series.tolist()]
    present = [v for v in values if v is not None]
    kinds = {_value_kind(v) for v in present}
    try:
        if kinds == {"bool"}:
            return pd.Series(values, dtype="boolean"), "boolean"
        if kinds == {"int"} and all(-(2**63) <= v < 2**63 for v in present):
            return pd.Series(values, dtype="Int64"), "integer"
        if kinds and kinds <= {"int", "float"}:
            floats = [None if v is None else float(v) for v in values]
            return pd.Series(floats, dtype="float64"), "number"
        if kinds == {"datetime"}:
            return pd.to_datetime(pd.Series(values, dtype=object)).astype(
                DATETIME_DTYPE
            ), "datetime"
    except (ValueError, TypeError, OverflowError):
        pass
    return infer_text(pd.Series([_as_text(v) for v in values], dtype=TEXT_DTYPE))


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | decimal.Decimal):
        return "float"
    if isinstance(value, dt.datetime | dt.date) and not isinstance(value, dt.time):
        return "datetime"
    if isinstance(value, str):
        return "str"
    return "other"


def _as_text(value: Any) -> str | None:
    """A value written the way a person would type it into a CSV cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


# ============================== fixed kinds ==============================


def convert_column(series: pd.Series, kind: ColumnKind, dtype: Dtype) -> tuple[pd.Series, int]:
    """`series` in a kind and dtype decided beforehand (by `infer_column` on a sample of the
    same column), and how many values did not fit it.

    The rules are inference's (null tokens, thousands separators, DATE_FORMATS, booleans,
    Int64 up to 18 digits, identifiers kept as written), but the kind never changes: a
    value that does not fit becomes null and is counted, where inference over the whole
    column would have chosen a looser kind.
    """
    series = series.reset_index(drop=True)
    source = series.dtype
    if isinstance(source, pd.CategoricalDtype) or not (
        ptypes.is_string_dtype(source) or _is_typed(source)
    ):
        series, source = series.astype(object), np.dtype(object)
    if ptypes.is_object_dtype(source):
        typed = _typed_objects(series, kind)
        if typed is not None:
            return typed.astype(dtype), 0
        series = pd.Series([_as_text(v) for v in series.tolist()], dtype=TEXT_DTYPE)
    elif _is_typed(source):  # Parquet: the file's schema fixes the type of every batch
        return series.astype(dtype), 0
    converted, failures = _convert_text(series, kind)
    return converted.astype(dtype), failures


def _parse_numbers(text: pd.Series, to: pa.DataType) -> pd.Series:
    """Strings already checked against INTEGER or NUMBER (nulls allowed), parsed by Arrow:
    several times faster than `pd.to_numeric`, with the same values (both round
    correctly); `pd.to_numeric` takes over for anything Arrow refuses."""
    try:
        strings = pc.utf8_ltrim(pa.array(text.array, type=pa.large_string()), characters="+")
        cast = pc.cast(strings, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(text, errors="coerce", dtype_backend="numpy_nullable")
    return _from_arrow(cast, text.index)


def _from_arrow(numbers: pa.Array, index: pd.Index) -> pd.Series:
    """Arrow int64 as pandas Int64 (through Arrow's own conversion: exact beyond 2**53),
    float64 as float64 with NaN for missing values."""
    if pa.types.is_integer(numbers.type):
        integers = numbers.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        return pd.Series(integers.array, index=index, dtype="Int64")
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=index, dtype="float64")


def _is_typed(dtype: Dtype) -> bool:
    return bool(
        ptypes.is_bool_dtype(dtype)
        or ptypes.is_integer_dtype(dtype)
        or ptypes.is_float_dtype(dtype)
        or ptypes.is_datetime64_any_dtype(dtype)
    )


def _typed_objects(series: pd.Series, kind: ColumnKind) -> pd.Series | None:
    """Python values converted the way `_infer_objects` would, or None to go via text."""
    values = [None if _is_null(v) else v for v in series.tolist()]
    present = {_value_kind(v) for v in values if v is not None}
    try:
        if kind == "boolean" and present <= {"bool"}:
            return pd.Series(values, dtype="boolean")
        if kind == "number" and present <= {"int", "float"}:
            return pd.Series([None if v is None else float(v) for v in values], dtype="float64")
        if kind == "datetime" and present <= {"datetime"}:
            frame = pd.Series(values, dtype=object)
            return pd.to_datetime(frame).astype(DATETIME_DTYPE)
    except (ValueError, TypeError, OverflowError):
        return None
    return None


# Plain spellings, each a subset of what its kind's rules accept and that those rules
# leave as they are (no spaces, null tokens, separators or "+" to undo), or empty: a
# batch whose values are all plain or missing is parsed by Arrow at once, about twice as
# fast as the general path and with the same result (tests/ingest/test_types.py). Years
# stay where pandas' nanosecond timestamps reach (1677-2262): a date that pandas could
# not hold is never read here.
PLAIN = {
    "integer": r"^(-?[0-9]{1,18})?$",
    "number": r"^(-?[0-9]+(\.[0-9]+)?)?$",
    "datetime": r"^((1[7-9]|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$",
}


def _convert_plain(series: pd.Series, kind: ColumnKind) -> pd.Series | None:
    """The column converted by Arrow when every value is plain (PLAIN) or missing; None
    otherwise, for the general path."""
    pattern = PLAIN.get(kind)
    if pattern is None:
        return None
    try:
        strings = pa.array(series.array, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if pc.min(pc.match_substring_regex(strings, pattern)).as_py() is False:
        return None
    with contextlib.suppress(pa.ArrowInvalid):  # empty strings fail: most batches have none
        return _parse_plain(strings, kind, series.index)
    strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.large_string()), strings)
    try:
        return _parse_plain(strings, kind, series.index)
    except pa.ArrowInvalid:  # a day that does not exist (2025-02-30): counted on the other path
        return None


def _parse_plain(strings: pa.Array, kind: ColumnKind, index: pd.Index) -> pd.Series:
    if kind == "datetime":
        # A cast to date32 refuses a day that does not exist (2025-02-30), where strptime
        # would roll it over to 2025-03-02.
        dates = pc.cast(pc.cast(strings, pa.date32()), pa.timestamp("us"))
        return pd.Series(dates.to_numpy(zero_copy_only=False), index=index, dtype=DATETIME_DTYPE)
    return _from_arrow(pc.cast(strings, pa.int64() if kind == "integer" else pa.float64()), index)


def _convert_text(series: pd.Series, kind: ColumnKind) -> tuple[pd.Series, int]:
    plain = _convert_plain(series, kind)
    if plain is not None:
        return plain, 0
    text = series.astype(TEXT_DTYPE).str.strip()
    text = text.mask(text.str.lower().isin(NULL_TOKENS))
    if kind in ("text", "identifier"):
        return text, 0
    present = text.notna()
    if kind == "boolean":
        lower = text.str.lower()
        fits = lower.isin(TRUE | FALSE)
        flags = pd.Series(lower.isin(TRUE).to_numpy(), dtype="boolean").mask(~fits)
        return flags, int((present & ~fits).sum())
    if kind == "integer":
        fits = text.str.fullmatch(INTEGER).fillna(False).astype(bool)
        fits &= text.str.lstrip("+-").str.len().le(MAX_INT_DIGITS).fillna(False).astype(bool)
        integers = _parse_numbers(text.where(fits), pa.int64()).astype("Int64")
        return integers, int((present & ~fits).sum())
    if kind == "number":
        fits = text.str.fullmatch(NUMBER).fillna(False).astype(bool)
        kept = text.where(fits).str.replace(",", "", regex=False)
        number = _parse_numbers(kept, pa.float64()).astype("float64")
        return number, int((present & number.isna()).sum())
    # datetime
    values = text.dropna()
    parsed = _dates_in_formats(values).reindex(text.index).astype(DATETIME_DTYPE)
    return parsed, int((present & parsed.isna()).sum())
