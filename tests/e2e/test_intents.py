"""Every rules-planner intent, end to end through `threadlab ask --json`, with the numbers
checked against pandas computed here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import EXAMPLES, Ask, read_sales, read_transactions


def test_overview_describes_every_column(ask: Ask) -> None:
    result = ask(EXAMPLES / "sales_daily.csv", "Give me an overview of the data")
    assert result.exit_code == 0, result.stderr
    sales = read_sales()
    summary = result.table("column", "dtype", "missing").set_index("column")
    assert set(summary.index) == set(sales.columns)
    assert float(summary.loc["sales", "mean"]) == pytest.approx(sales["sales"].mean())
    assert str(len(sales)) in result.json["answer"].replace(",", "")


def test_row_count_and_missing_values(ask: Ask, tmp_path: Path) -> None:
    data = tmp_path / "survey.csv"
    data.write_text(
        "respondent,age,city,score\n1,34,Paris,7\n2,,Lyon,\n3,51,,9\n4,29,Nice,6\n5,,Paris,8\n",
        encoding="utf-8",
    )
    result = ask(data, "How many rows are there and which columns have missing values?")
    assert result.exit_code == 0, result.stderr
    missing = result.table("column", "missing").set_index("column")["missing"].astype(int)
    assert missing.to_dict() == {"respondent": 0, "age": 2, "city": 1, "score": 1}
    assert "5" in result.json["answer"] and "4" in result.json["answer"]


def test_missing_values_in_chinese(ask: Ask, tmp_path: Path) -> None:
    data = tmp_path / "问卷.csv"
    data.write_text("编号,年龄,城市\n1,34,北京\n2,,上海\n3,51,\n", encoding="utf-8-sig")
    result = ask(data, "统计一下有多少行，各列缺失值情况")
    assert result.exit_code == 0, result.stderr
    missing = result.table("column", "missing").set_index("column")["missing"].astype(int)
    assert missing.to_dict() == {"编号": 0, "年龄": 1, "城市": 1}
    assert result.json["plan"]["language"] == "zh"


@pytest.mark.parametrize(
    "question", ["Show the orders with amount over 1000", "金额大于1000的订单"]
)
def test_filter_rows(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr
    tx = read_transactions()
    expected = tx[tx["amount"] > 1000]
    got = result.table("order_id", "amount")
    assert len(got) == len(expected) > 0
    assert set(got["order_id"]) == set(expected["order_id"])


@pytest.mark.parametrize(
    ("data", "question", "group", "value", "chinese"),
    [
        ("sales_daily.csv", "total sales by region", "region", "sales", False),
        ("sales_daily_zh.csv", "各地区销售额", "地区", "销售额", True),
    ],
)
def test_group_and_aggregate(
    ask: Ask, data: str, question: str, group: str, value: str, chinese: bool
) -> None:
    result = ask(EXAMPLES / data, question)
    assert result.exit_code == 0, result.stderr
    sales = read_sales(chinese)
    expected = sales.groupby("region")["sales"].sum()
    if chinese:
        expected.index = expected.index.map(str)
    aggregate = result.step("aggregate")
    assert aggregate["by"] == [group]
    metric = aggregate["metrics"][0]
    assert metric["column"] == value and metric["func"] == "sum"
    got = result.table(group, metric["name"]).set_index(group)[metric["name"]]
    assert got.sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())
    assert str(expected.idxmax()) in result.json["answer"]


@pytest.mark.parametrize("question", ["top 3 stores by amount", "销售额最高的3个门店"])
def test_top_n_groups(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr
    tx = read_transactions()
    expected = tx.groupby("store")["amount"].sum().nlargest(3)
    got = result.table("store", "amount")
    assert list(got["store"]) == list(expected.index)
    assert got["amount"].to_numpy() == pytest.approx(expected.to_numpy())


@pytest.mark.parametrize(
    ("question", "freq", "period"),
    [
        ("monthly sales trend", "month", "M"),
        ("每周销售额趋势", "week", "W-SUN"),
        ("sales by quarter", "quarter", "Q"),
        ("yearly sales", "year", "Y"),
        ("daily sales over time", "day", "D"),
    ],
)
def test_time_series_with_peak(ask: Ask, question: str, freq: str, period: str) -> None:
    data = (
        "sales_daily_zh.csv"
        if any("\u4e00" <= ch <= "\u9fff" for ch in question)
        else "sales_daily.csv"
    )
    result = ask(EXAMPLES / data, question)
    assert result.exit_code == 0, result.stderr
    resample = result.step("resample")
    assert resample["freq"] == freq
    sales = read_sales(chinese=data.endswith("_zh.csv"))
    expected = sales.groupby(sales["date"].dt.to_period(period))["sales"].sum()
    got = result.named_table(resample["output"])
    value = resample["value_column"]
    assert got[value].to_numpy() == pytest.approx(expected.to_numpy())
    assert result.step("chart")["mark_peak"] is True
    assert any(p.endswith(".png") for p in result.json["artifacts"])


@pytest.mark.parametrize("question", ["distribution of amount", "金额分布直方图"])
def test_histogram(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr
    chart = result.step("chart")
    assert chart["chart"] == "hist" and chart["x"] == "amount"
    assert any(p.endswith(".png") for p in result.json["artifacts"])


def test_correlation_of_a_pair(ask: Ask) -> None:
    result = ask(EXAMPLES / "sales_daily.csv", "correlation between sales and orders")
    assert result.exit_code == 0, result.stderr
    sales = read_sales()
    r = sales["sales"].corr(sales["orders"])
    assert f"{r:.2f}" in result.json["answer"]


def test_correlation_matrix(ask: Ask) -> None:
    result = ask(EXAMPLES / "customers.csv", "相关性矩阵")
    assert result.exit_code == 0, result.stderr
    correlate = result.step("correlate")
    assert len(correlate["columns"]) >= 2
    assert result.step("chart")["chart"] == "heatmap"
    matrix = result.table("column").set_index("column")
    assert np.allclose(np.diag(matrix.to_numpy(dtype=float)), 1.0)


@pytest.mark.parametrize("question", ["find outliers in amount", "金额的异常值"])
def test_outliers_by_iqr(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr
    amount = read_transactions()["amount"]
    q1, q3 = amount.quantile(0.25), amount.quantile(0.75)
    lower, upper = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    expected = int(((amount < lower) | (amount > upper)).sum())
    got = result.table("order_id", "amount")
    assert len(got) == expected > 0
    assert f"{expected:,}" in result.json["answer"] or str(expected) in result.json["answer"]


def test_rfm_segmentation_in_english(ask: Ask) -> None:
    result = ask(EXAMPLES / "transactions.csv", "segment customers by RFM")
    assert result.exit_code == 0, result.stderr
    rfm = result.table("user_id", "R", "F", "M", "segment")
    assert len(rfm) == read_transactions()["user_id"].nunique()
    segments = result.table("segment", "users")
    assert segments["users"].astype(int).sum() == len(rfm)


def test_unresolvable_request_lists_usable_columns(ask: Ask) -> None:
    result = ask(EXAMPLES / "sales_daily.csv", "what is the meaning of life?")
    assert result.exit_code == 1
    assert result.json["status"] == "error"
    message = result.json["answer"] or result.json["message"]
    for column in ("date", "region", "sales", "orders"):
        assert column in message
    assert "Traceback" not in result.stderr + result.stdout


def test_monthly_order_count_counts_distinct_orders(ask: Ask) -> None:
    result = ask(EXAMPLES / "transactions.csv", "每月订单数")
    assert result.exit_code == 0, result.stderr
    tx = read_transactions()
    expected = tx.groupby(tx["date"].dt.to_period("M"))["order_id"].nunique()
    got = result.named_table(result.step("resample")["output"])
    assert list(got["period"]) == [str(p) for p in expected.index]
    assert got["order_id"].tolist() == expected.tolist()
