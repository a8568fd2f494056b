"""SQL text for the DuckDB engine: quoted names and values, and plan conditions as SQL.

Each translation keeps pandas' meaning, so the two engines give the same rows: pandas'
`!=` and `not in` keep missing values (NaN compares unequal) where plain SQL would drop
NULLs, and a pandas `eval` expression becomes SQL only when it is plain arithmetic.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from bot.models import FilterStep
from bot.sql_text import ident, string_literal

__all__ = ["ROW", "arithmetic", "condition", "ident", "literal"]

# The column read_parquet(..., file_row_number = true) adds: the file's row order, which
# pandas keeps implicitly and SQL only when asked (ties in top-N, table order).
ROW = "file_row_number"
_DATE_LITERAL = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")
# What a pandas `eval` expression may contain to be run as SQL unchanged: names (bare or
# in backticks), numbers, arithmetic and parentheses. Anything else stays in pandas.
_ARITHMETIC_TOKEN = re.compile(
    r"\s*(?:(?P<quoted>`[^`]+`)|(?P<name>[^\W\d]\w*)"
    r"|(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<op>\*\*|[-+*/()]))"
)
_NOT_COLUMNS = frozenset({"and", "or", "not", "in", "is", "True", "False", "None"})


def literal(value: Any) -> str:
    """A filter value as a SQL literal; ISO date strings compare as timestamps."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'::DOUBLE"
        return repr(value) if math.isfinite(value) else f"'{value}'::DOUBLE"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"TIMESTAMP '{value.isoformat()}'"
    text = str(value)
    if _DATE_LITERAL.match(text):
        return f"TIMESTAMP '{text.replace('T', ' ')}'"
    return string_literal(text)


def condition(step: FilterStep) -> str:
    """The filter as a SQL condition that keeps exactly the rows pandas keeps."""
    column = ident(step.column)
    if step.op == "notnull":
        return f"{column} IS NOT NULL"
    if step.op == "!=":
        # pandas: NaN != x is True, so missing values stay.
        return f"{column} IS DISTINCT FROM {literal(step.value)}"
    if step.op in {"==", ">", ">=", "<", "<="}:
        op = "=" if step.op == "==" else step.op
        return f"{column} {op} {literal(step.value)}"
    values = ", ".join(literal(v) for v in step.value) or "NULL"
    if step.op == "in":
        return f"{column} IN ({values})"
    if step.op == "not in":
        return f"({column} IS NULL OR {column} NOT IN ({values}))"
    # contains: pandas tests the text of the value (astype(str)), literally.
    return f"contains(CAST({column} AS VARCHAR), {string_literal(str(step.value))})"


def arithmetic(expression: str) -> str | None:
    """A pandas `eval` expression as SQL, when it is plain arithmetic over columns."""
    parts: list[str] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _ARITHMETIC_TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        if match["quoted"]:
            parts.append(ident(match["quoted"][1:-1]))
        elif match["name"]:
            if match["name"] in _NOT_COLUMNS or text[match.end() :].lstrip().startswith("("):
                return None  # logic or a function call: pandas semantics, kept in pandas
            parts.append(ident(match["name"]))
        else:
            parts.append(match["number"] or match["op"])
        position = match.end()
    return " ".join(parts) if parts else None
