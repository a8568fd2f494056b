"""Excel, Parquet and JSON: the first sheet with data or a named one, real types kept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bot.ingest import SheetNotFound, ingest
from bot.settings import Settings


def _workbook(path: Path) -> None:
    """Sheet 'Cover' is empty, 'Orders' has typed cells, 'Notes' has text."""
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    orders = book.create_sheet("Orders")
    orders.append([" order ", "amount", "day", "paid", "phone"])
    orders.append(["00017", 12.5, dt.datetime(2025, 1, 31), True, "13812345678"])
    orders.append(["00018", 3, dt.datetime(2025, 2, 1), False, "13912345678"])
    notes = book.create_sheet("Notes")
    notes.append(["note"])
    notes.append(["hello"])
    book.save(path)


def test_xlsx_first_non_empty_sheet(tmp_path: Path, settings: Settings) -> None:
    _workbook(tmp_path / "book.xlsx")
    ds = ingest(tmp_path / "book.xlsx", settings)
    assert ds.format == "excel" and ds.sheet == "Orders"
    kinds = {c.name: c.kind for c in ds.profile.columns}
    assert kinds == {
        "order": "identifier",
        "amount": "number",
        "day": "datetime",
        "paid": "boolean",
        "phone": "identifier",
    }
    frame = pd.read_parquet(ds.cache_path)
    assert frame["order"].tolist() == ["00017", "00018"]
    assert frame["phone"].tolist() == ["13812345678", "13912345678"]
    assert frame["day"].tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-01")]


def test_xlsx_named_sheet(tmp_path: Path, settings: Settings) -> None:
    _workbook(tmp_path / "book.xlsx")
    ds = ingest(tmp_path / "book.xlsx", settings, sheet="Notes")
    assert ds.sheet == "Notes"
    assert ds.profile.names == ["note"]
    first = ingest(tmp_path / "book.xlsx", settings)
    assert ds.id != first.id  # the sheet name is part of the cache key


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path, settings: Settings) -> None:
    _workbook(tmp_path / "book.xlsx")
    with pytest.raises(SheetNotFound) as caught:
        ingest(tmp_path / "book.xlsx", settings, sheet="Summary")
    message = caught.value.user_message
    assert "book.xlsx" in message and "'Summary'" in message
    for name in ("'Cover'", "'Orders'", "'Notes'"):
        assert name in message


def test_xlsx_integers_and_header_below_blank_rows(tmp_path: Path, settings: Settings) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"] = "year", "count"
    sheet["B4"], sheet["C4"] = 2024, 7
    sheet["B5"], sheet["C5"] = 2025, 9
    book.save(tmp_path / "offset.xlsx")
    ds = ingest(tmp_path / "offset.xlsx", settings)
    assert ds.profile.names == ["year", "count"]
    assert {c.kind for c in ds.profile.columns} == {"integer"}


def test_parquet_keeps_its_types(tmp_path: Path, settings: Settings) -> None:
    source = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "x": [0.5, 1.5, None],
            "when": [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02"), pd.NaT],
            "ok": [True, False, True],
            "code": ["007", "008", "009"],
            "label": ["a", "b", None],
        }
    )
    source.to_parquet(tmp_path / "typed.parquet")
    ds = ingest(tmp_path / "typed.parquet", settings)
    kinds = {c.name: c.kind for c in ds.profile.columns}
    assert kinds == {
        "n": "integer",
        "x": "number",
        "when": "datetime",
        "ok": "boolean",
        "code": "identifier",
        "label": "text",
    }
    frame = pd.read_parquet(ds.cache_path)
    assert frame["code"].tolist() == ["007", "008", "009"]
    assert ds.profile.column("n").nulls == 1  # type: ignore[union-attr]


def test_jsonl(tmp_path: Path, settings: Settings) -> None:
    records = [
        {"id": "110105199001011234", "amount": 12.5, "tags": ["a"], "when": "2025-01-31"},
        {"id": "11010519900101123X", "amount": 3, "extra": True, "when": "2025-02-01"},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    ds = ingest(path, settings)
    assert ds.format == "jsonl"
    kinds = {c.name: c.kind for c in ds.profile.columns}
    assert kinds == {
        "id": "identifier",
        "amount": "number",
        "tags": "text",
        "when": "datetime",
        "extra": "boolean",
    }
    frame = pd.read_parquet(ds.cache_path)
    assert frame["id"].tolist() == ["110105199001011234", "11010519900101123X"]
    assert frame["tags"].tolist()[0] == '["a"]'


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_json_array_and_ndjson(tmp_path: Path, settings: Settings, suffix: str) -> None:
    records = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    text = json.dumps(records) if suffix == ".json" else "\n".join(map(json.dumps, records))
    (tmp_path / f"r{suffix}").write_text(text, encoding="utf-8")
    ds = ingest(tmp_path / f"r{suffix}", settings)
    assert ds.profile.names == ["a", "b"] and ds.profile.rows == 2
