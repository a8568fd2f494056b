"""The bundled samples ingest with the expected columns and kinds; the script is deterministic."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bot.ingest import ingest
from bot.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPT = EXAMPLES / "make_samples.py"
SAMPLES = ("sales_daily.csv", "sales_daily_zh.csv", "transactions.csv", "customers.csv")

EXPECTED = {
    "sales_daily.csv": {
        "date": "datetime",
        "region": "text",
        "sales": "number",
        "orders": "integer",
    },
    "sales_daily_zh.csv": {
        "日期": "datetime",
        "地区": "text",
        "销售额": "number",
        "订单数": "integer",
    },
    "transactions.csv": {
        "user_id": "identifier",
        "order_id": "identifier",
        "amount": "number",
        "date": "datetime",
        "store": "text",
        "category": "text",
    },
    "customers.csv": {
        "customer_id": "identifier",
        "name": "text",
        "phone": "identifier",
        "id_number": "identifier",
        "email": "text",
        "city": "text",
        "signup_date": "datetime",
        "age": "integer",
        "gender": "text",
        "orders": "integer",
        "total_spend": "number",
    },
}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_ingests_with_expected_kinds(name: str, settings: Settings) -> None:
    ds = ingest(EXAMPLES / name, settings)
    assert {c.name: c.kind for c in ds.profile.columns} == EXPECTED[name]
    assert all(c.nulls == 0 for c in ds.profile.columns)


def test_customer_identifiers_are_exact(settings: Settings) -> None:
    ds = ingest(EXAMPLES / "customers.csv", settings)
    raw = pd.read_csv(EXAMPLES / "customers.csv", dtype=str, keep_default_na=False)
    cached = pd.read_parquet(ds.cache_path)
    for column in ("customer_id", "phone", "id_number"):
        assert str(cached[column].dtype) == "str"
        assert cached[column].tolist() == raw[column].tolist(), column
    assert cached["id_number"].str.endswith("X").any()
    assert cached["phone"].str.fullmatch(r"1[3-9]\d{9}").all()


def test_customer_id_numbers_are_valid_and_match_age_and_gender() -> None:
    customers = pd.read_csv(EXAMPLES / "customers.csv", dtype=str)
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    as_of = dt.date(2026, 11, 30)
    for id_number, age, gender in customers[["id_number", "age", "gender"]].itertuples(index=False):
        total = sum(int(c) * w for c, w in zip(id_number[:17], weights, strict=True))
        assert id_number[17] == "10X98765432"[total % 11], id_number
        born = dt.datetime.strptime(id_number[6:14], "%Y%m%d").date()
        years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        assert years == int(age), id_number
        assert gender == ("M" if int(id_number[16]) % 2 else "F")


def test_sales_peak_in_the_last_12_months_is_july_2026() -> None:
    sales = pd.read_csv(EXAMPLES / "sales_daily.csv", parse_dates=["date"])
    months = sales["date"].dt.to_period("M")
    monthly = sales[months >= months.max() - 11].groupby(months)["sales"].sum()
    assert len(monthly) == 12 and str(monthly.idxmax()) == "2026-07"
    assert monthly.nlargest(2).iloc[1] < 0.9 * monthly.max()  # clear, not a coin toss
    zh = pd.read_csv(EXAMPLES / "sales_daily_zh.csv", encoding="gb18030")
    assert zh["销售额"].tolist() == sales["sales"].tolist()


def test_transactions_shape() -> None:
    tx = pd.read_csv(EXAMPLES / "transactions.csv", dtype={"user_id": str, "order_id": str})
    assert len(tx) == 200_000 and tx["order_id"].is_unique
    per_user = tx["user_id"].value_counts()
    assert 15_000 <= len(per_user) <= 25_000
    assert (per_user <= 2).mean() > 0.3 and per_user.max() > 100  # skewed activity
    assert 0.08 <= (tx["amount"] < 5).mean() <= 0.12
    assert (tx["date"].min(), tx["date"].max()) == ("2024-12-01", "2026-11-30")


def test_examples_stay_small() -> None:
    total = sum(p.stat().st_size for p in EXAMPLES.iterdir() if p.is_file())
    assert total < 15 * 1024 * 1024


def test_script_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run
        subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(out), "--rows", "3000", "--customers", "50"],
            check=True,
            timeout=60,
        )
        outputs.append({name: (out / name).read_bytes() for name in SAMPLES})
    assert outputs[0] == outputs[1]
    assert outputs[0]["transactions.csv"].count(b"\n") == 3001
    assert outputs[0]["customers.csv"].count(b"\n") == 51
    # The sales files do not depend on the size options: they are the bundled ones.
    for name in ("sales_daily.csv", "sales_daily_zh.csv"):
        assert outputs[0][name] == (EXAMPLES / name).read_bytes(), name
