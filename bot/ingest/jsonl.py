"""JSON lines (one object per line), or a .json file holding an array of objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from bot.errors import EmptyFile, MalformedFile, TruncatedFile
from bot.ingest.columns import unique_names
from bot.ingest.text import detect_encoding


def read_json_records(path: Path) -> tuple[pd.DataFrame, str]:
    """The records as a frame of Python values (one column per key), and the text's encoding."""
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding).lstrip("\ufeff").strip()
    name = path.name
    if text.startswith("["):
        records = _array(text, name)
    else:
        whole = _whole_object(text) if path.suffix.lower() == ".json" else None
        records = whole if whole is not None else _lines(text, name)
    if not records:
        raise EmptyFile(f"{name} is empty: it holds no records.")
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    names = unique_names(keys)
    return pd.DataFrame(
        {
            n: pd.Series([r.get(k) for r in records], dtype=object)
            for n, k in zip(names, keys, strict=True)
        }
    ), encoding


def _array(text: str, name: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.endswith("]"):
            raise TruncatedFile(f"{name} is truncated: its JSON array never closes.") from exc
        raise MalformedFile(f"{name} is not valid JSON: {exc}.") from exc
    if not all(isinstance(r, dict) for r in document):
        raise MalformedFile(f"{name} is a JSON array, but not of records (objects with fields).")
    return list(document)


def _whole_object(text: str) -> list[dict[str, Any]] | None:
    """One JSON object: the records in its only list of objects, or itself as one record."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    tables = [v for v in document.values() if isinstance(v, list) and v]
    if len(tables) == 1 and all(isinstance(r, dict) for r in tables[0]):
        return list(tables[0])
    return [document]


def _lines(text: str, name: str) -> list[dict[str, Any]]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    records: list[dict[str, Any]] = []
    for index, (number, line) in enumerate(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if index == len(lines) - 1:
                raise TruncatedFile(
                    f"{name} is truncated: its last line (line {number}) is incomplete JSON."
                ) from exc
            raise MalformedFile(f"{name}, line {number}, is not valid JSON: {exc.msg}.") from exc
        if not isinstance(record, dict):
            raise MalformedFile(
                f"{name}, line {number}, is not a JSON object (a record with named fields)."
            )
        records.append(record)
    return records
