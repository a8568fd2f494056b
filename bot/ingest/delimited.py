"""CSV and other delimited text, read as strings (types are inferred afterwards)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from bot.errors import BinaryFile, EmptyFile, MalformedFile, TruncatedFile
from bot.ingest.columns import header_text, unique_names
from bot.ingest.text import TextFormat, detect

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_delimited(path: Path) -> tuple[pd.DataFrame, TextFormat]:
    """All cells as strings (missing ones null); the first row names the columns."""
    fmt = detect(path, preferred_delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    name = path.name
    try:
        raw = pd.read_csv(
            path,
            sep=fmt.delimiter,
            encoding=fmt.encoding,
            encoding_errors="strict",
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            quotechar='"',
            engine="c",
            low_memory=False,
        )
    except pd.errors.EmptyDataError as exc:
        raise EmptyFile(f"{name} is empty: it has no header row and no data.") from exc
    except pd.errors.ParserError as exc:
        detail = re.sub(r"^.*C error: ", "", str(exc)).strip().rstrip(".")
        if "EOF inside string" in detail:
            start = re.search(r"row (\d+)", detail)
            where = f" that opens on line {int(start.group(1)) + 1}" if start else ""
            raise TruncatedFile(
                f"{name} is truncated: it ends inside a quoted value{where}."
            ) from exc
        kind = DELIMITER_NAMES.get(fmt.delimiter, repr(fmt.delimiter))
        raise MalformedFile(
            f"{name} could not be read as {kind}-separated text: {detail}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise BinaryFile(f"{name} is not readable {fmt.encoding} text: {exc.reason}.") from exc
    headers = raw.iloc[0].tolist()
    data = raw.iloc[1:]
    if data.empty:
        raise EmptyFile(f"{name} is empty: it has a header row but no data rows.")
    keep = [i for i, h in enumerate(headers) if header_text(h) or _has_values(data[raw.columns[i]])]
    frame = data[[raw.columns[i] for i in keep]].reset_index(drop=True)
    frame.columns = pd.Index(unique_names(headers[i] for i in keep))
    return frame, fmt


def _has_values(column: pd.Series) -> bool:
    return bool(column.fillna("").str.strip().ne("").any())
