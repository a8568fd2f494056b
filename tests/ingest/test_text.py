"""Delimited text: encodings (UTF-8, BOM, GB18030/GBK, UTF-16) and delimiter sniffing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bot.ingest import ingest
from bot.settings import Settings

ROWS = "id,city,amount\n1,Paris,10.5\n2,Lyon,20\n3,Nice,7.25\n"
ZH = "日期,地区,销售额,订单数\n2025-06-01,华北,1234.50,12\n2025-06-02,华南,99.00,3\n"


def _cache(path: str) -> pd.DataFrame:
    return pd.read_parquet(path)


def test_utf8(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "plain.csv").write_text(ROWS, encoding="utf-8")
    ds = ingest(tmp_path / "plain.csv", settings)
    assert ds.encoding == "utf-8" and ds.delimiter == "," and ds.format == "csv"
    assert ds.profile.names == ["id", "city", "amount"]
    assert ds.profile.rows == 3
    frame = _cache(ds.cache_path)
    assert frame["city"].tolist() == ["Paris", "Lyon", "Nice"]
    assert frame["amount"].tolist() == [10.5, 20.0, 7.25]


def test_utf8_bom_stays_out_of_the_first_header(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "bom.csv").write_text(ROWS, encoding="utf-8-sig")
    ds = ingest(tmp_path / "bom.csv", settings)
    assert ds.encoding == "utf-8-sig"
    assert ds.profile.names[0] == "id"
    assert _cache(ds.cache_path).columns[0] == "id"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb18030_with_chinese_headers(tmp_path: Path, settings: Settings, encoding: str) -> None:
    (tmp_path / "销售.csv").write_bytes(ZH.encode(encoding))
    ds = ingest(tmp_path / "销售.csv", settings)
    assert ds.encoding == "gb18030"
    assert ds.name == "销售.csv"
    assert ds.profile.names == ["日期", "地区", "销售额", "订单数"]
    kinds = {c.name: c.kind for c in ds.profile.columns}
    assert kinds == {"日期": "datetime", "地区": "text", "销售额": "number", "订单数": "integer"}
    assert _cache(ds.cache_path)["地区"].tolist() == ["华北", "华南"]


def test_utf16_with_bom(tmp_path: Path, settings: Settings) -> None:
    """Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated."""
    (tmp_path / "export.txt").write_text(ROWS.replace(",", "\t"), encoding="utf-16")
    ds = ingest(tmp_path / "export.txt", settings)
    assert ds.delimiter == "\t"
    assert ds.profile.names == ["id", "city", "amount"]


@pytest.mark.parametrize(
    ("delimiter", "suffix"),
    [(",", ".csv"), (";", ".csv"), ("\t", ".csv"), ("|", ".csv"), ("\t", ".tsv"), ("|", ".txt")],
    ids=["comma", "semicolon", "tab", "pipe", "tsv", "txt-pipe"],
)
def test_delimiter_is_sniffed(
    tmp_path: Path, settings: Settings, delimiter: str, suffix: str
) -> None:
    note = "a, b; c| d\tz"  # every candidate inside quotes: quoting must win over counting
    rows = [
        ["id", "note", "amount"],
        ["1", "plain", "10.5"],
        ["2", f'"{note}"', "20"],
        ["3", "x", "7"],
    ]
    text = "".join(delimiter.join(row) + "\n" for row in rows)
    path = tmp_path / f"data{suffix}"
    path.write_text(text, encoding="utf-8")
    ds = ingest(path, settings)
    assert ds.delimiter == delimiter
    assert ds.profile.names == ["id", "note", "amount"]
    assert _cache(ds.cache_path)["note"].tolist() == ["plain", note, "x"]


def test_single_column_text(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "names.txt").write_text("name\nAda\nGrace\n", encoding="utf-8")
    ds = ingest(tmp_path / "names.txt", settings)
    assert ds.profile.names == ["name"] and ds.profile.rows == 2


def test_blank_lines_and_trailing_delimiters_are_dropped(
    tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "messy.csv").write_text("a,b,\n1,2,\n\n,,\n3,4,\n", encoding="utf-8")
    ds = ingest(tmp_path / "messy.csv", settings)
    assert ds.profile.names == ["a", "b"]
    assert ds.profile.rows == 2


def test_file_without_extension_is_judged_by_content(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "export").write_text(ROWS.replace(",", ";"), encoding="utf-8")
    ds = ingest(tmp_path / "export", settings)
    assert (ds.format, ds.delimiter) == ("csv", ";")
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "blob")
    assert ingest(tmp_path / "blob", settings).format == "parquet"
