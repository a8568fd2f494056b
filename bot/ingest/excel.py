"""Excel workbooks (.xlsx): the first sheet with data, or a named one; cells keep their types."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from bot.errors import EmptyFile, IngestError, MalformedFile, SheetNotFound, TruncatedFile
from bot.ingest.columns import header_text, unique_names


def read_excel(path: Path, sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """The sheet's cells (header row first) as a frame of Python values, and the sheet's name."""
    name = path.name
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise TruncatedFile(
            f"{name} is truncated or damaged: its zip structure is incomplete. Upload it again."
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds of error on a foreign zip
        raise MalformedFile(f"{name} is a zip file but not a readable Excel workbook.") from exc
    try:
        chosen, rows = _pick_sheet(workbook, name, sheet)
    except IngestError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise TruncatedFile(
            f"{name} is truncated or damaged: a sheet could not be unpacked."
        ) from exc
    except Exception as exc:  # malformed sheet XML surfaces as assorted parser errors
        raise MalformedFile(f"{name} could not be read: its sheet data is malformed.") from exc
    finally:
        workbook.close()
    return _frame(rows, name, chosen), chosen


def _pick_sheet(workbook: Any, name: str, sheet: str | None) -> tuple[str, list[list[Any]]]:
    names: list[str] = list(workbook.sheetnames)
    if sheet is not None:
        if sheet not in names:
            listed = ", ".join(repr(n) for n in names)
            raise SheetNotFound(f"{name} has no sheet named {sheet!r}. Its sheets are: {listed}.")
        rows = list(_rows(workbook[sheet]))
        if not rows:
            raise EmptyFile(f"Sheet {sheet!r} of {name} is empty.")
        return sheet, rows
    for worksheet in workbook.worksheets:
        rows = list(_rows(worksheet))
        if rows:
            return str(worksheet.title), rows
    raise EmptyFile(f"{name} is empty: none of its sheets ({', '.join(names)}) holds any data.")


def _rows(worksheet: Any) -> Iterator[list[Any]]:
    """Non-blank rows, trailing blank cells trimmed. Chart sheets have none."""
    if not hasattr(worksheet, "iter_rows"):
        return
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # files not written by Excel often misstate their size
    for values in worksheet.iter_rows(values_only=True):
        row = [None if _blank(v) else v for v in values]
        while row and row[-1] is None:
            row.pop()
        if row:
            yield row


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _frame(rows: list[list[Any]], name: str, sheet: str) -> pd.DataFrame:
    header, data = rows[0], rows[1:]
    if not data:
        raise EmptyFile(
            f"Sheet {sheet!r} of {name} is empty: it has a header row but no data rows."
        )
    width = max(len(r) for r in rows)
    header = header + [None] * (width - len(header))
    columns = [[r[i] if i < len(r) else None for r in data] for i in range(width)]
    keep = [
        i for i in range(width) if header_text(header[i]) or any(v is not None for v in columns[i])
    ]
    names = unique_names(header[i] for i in keep)
    return pd.DataFrame(
        {n: pd.Series(columns[i], dtype=object) for n, i in zip(names, keep, strict=True)}
    )
