"""Other input formats through the whole pipeline: Excel (named sheet), Parquet, JSON lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import Ask

FRAME = pd.DataFrame(
    {
        "region": ["North", "South", "North", "East", "South", "North"],
        "amount": [10.0, 20.5, 30.0, 7.25, 1.0, 2.0],
        "phone": ["13800138000", "13912345678", "13700001111", "13600002222", "13500003333",
                  "13400004444"],
    }
)  # fmt: skip
EXPECTED = {"North": 42.0, "South": 21.5, "East": 7.25}


def _excel(d: Path) -> tuple[Path, tuple[str, ...]]:
    path = d / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["not this one"]}).to_excel(writer, sheet_name="cover", index=False)
        FRAME.to_excel(writer, sheet_name="orders", index=False)
    return path, ("--sheet", "orders")


def _parquet(d: Path) -> tuple[Path, tuple[str, ...]]:
    FRAME.to_parquet(d / "orders.parquet")
    return d / "orders.parquet", ()


def _jsonl(d: Path) -> tuple[Path, tuple[str, ...]]:
    FRAME.to_json(d / "orders.jsonl", orient="records", lines=True, force_ascii=False)
    return d / "orders.jsonl", ()


@pytest.mark.parametrize("make", [_excel, _parquet, _jsonl], ids=["xlsx", "parquet", "jsonl"])
def test_total_by_region_in_every_format(ask: Ask, tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    data, extra = make(tmp_path)
    result = ask(data, "total amount by region", *extra)
    assert result.exit_code == 0, result.stderr
    metric = result.step("aggregate")["metrics"][0]["name"]
    got = result.table("region", metric).set_index("region")[metric].to_dict()
    assert got == pytest.approx(EXPECTED)


def test_unknown_sheet_names_the_sheets_there_are(ask: Ask, tmp_path: Path) -> None:
    data, _ = _excel(tmp_path)
    result = ask(data, "total amount by region", "--sheet", "nope")
    assert result.exit_code == 1
    assert "nope" in result.json["message"] and "orders" in result.json["message"]
