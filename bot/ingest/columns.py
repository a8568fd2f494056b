"""Column names a table can be queried by: trimmed, never empty, never repeated."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable


def header_text(value: object) -> str:
    """A header cell as text: trimmed, BOM-free; whole floats and dates without noise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\ufeff", "").strip()


def unique_names(headers: Iterable[object]) -> list[str]:
    """`column_<position>` for empty headers, `<name>_2`, `<name>_3`... for repeats."""
    names = [header_text(h) for h in headers]
    taken = {n for n in names if n}
    seen: set[str] = set()
    result: list[str] = []
    for position, name in enumerate(names, start=1):
        if not name:
            name = _free(f"column_{position}", taken)
        elif name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            name = f"{name}_{n}"
        taken.add(name)
        seen.add(name)
        result.append(name)
    return result


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate
