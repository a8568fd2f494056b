"""The seed article's three requests, in Chinese and English, checked against numbers
computed here independently of ThreadLab (pandas directly, and DuckDB's own NTILE)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.e2e.conftest import EXAMPLES, Ask, read_sales, read_transactions

QUARTERLY_ZH = "用过去12个月的销售数据，分析季度波动规律，输出折线图并标注峰值月份"
QUARTERLY_EN = (
    "Using the last 12 months of sales data, analyse the quarterly fluctuation, "
    "draw a line chart and mark the peak month"
)
CLEAN_ZH = "清洗用户交易数据，去除金额小于5元的订单，按用户ID聚合消费总额和最近购买日期"
CLEAN_EN = (
    "Clean the user transactions: drop orders under 5, then total spend and last "
    "purchase date per user ID"
)
RFM_ZH = (
    "计算RFM得分，R为最近购买天数(分5档)，F为消费频次(分5档)，M为消费金额(分5档)，输出用户分群结果"
)
RFM_EN = (
    "Compute RFM scores: R from days since last purchase (5 bins), F from purchase "
    "frequency (5 bins), M from total spend (5 bins), and output the customer segments"
)


def _last_12_months(sales: pd.DataFrame) -> pd.DataFrame:
    months = sales["date"].dt.to_period("M")
    return sales[months >= months.max() - 11]


@pytest.mark.parametrize(
    ("data", "question", "chinese"),
    [("sales_daily_zh.csv", QUARTERLY_ZH, True), ("sales_daily.csv", QUARTERLY_EN, False)],
)
def test_quarterly_fluctuation_with_peak_month(
    ask: Ask, data: str, question: str, chinese: bool
) -> None:
    result = ask(EXAMPLES / data, question)
    assert result.exit_code == 0, result.stderr
    assert result.json["status"] == "ok"

    recent = _last_12_months(read_sales(chinese))
    quarterly = recent.groupby(recent["date"].dt.to_period("Q"))["sales"].sum()
    monthly = recent.groupby(recent["date"].dt.to_period("M"))["sales"].sum()
    peak_month = str(monthly.idxmax())

    value_column = "销售额" if chinese else "sales"
    for name, expected in (("monthly", monthly), ("quarterly", quarterly)):
        got = result.named_table(name)
        assert list(got["period"]) == [str(p) for p in expected.index], name
        assert got[value_column].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)

    assert peak_month in result.json["answer"]
    assert str(quarterly.idxmax()) in result.json["answer"]
    chart = result.step("chart")
    assert chart["chart"] == "line" and chart["mark_peak"] is True
    charts = [p for p in result.json["artifacts"] if p.endswith(".png")]
    assert charts, result.json["artifacts"]
    with open(charts[0], "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    # Chinese labels must have rendered with a real CJK font, not as empty boxes.
    assert "missing from font" not in result.stderr


@pytest.mark.parametrize("question", [CLEAN_ZH, CLEAN_EN])
def test_clean_and_aggregate_per_user(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr

    tx = read_transactions()
    kept = tx[tx["amount"] >= 5]
    expected = kept.groupby("user_id").agg(total=("amount", "sum"), last=("date", "max"))

    aggregate = result.step("aggregate")
    total_name = next(m["name"] for m in aggregate["metrics"] if m["func"] == "sum")
    last_name = next(m["name"] for m in aggregate["metrics"] if m["func"] == "max")
    got = result.table("user_id", total_name, last_name).set_index("user_id")
    assert len(got) == len(expected)  # the whole table, not the preview
    got = got.loc[expected.index]
    assert got[total_name].astype(float).to_numpy() == pytest.approx(expected["total"].to_numpy())
    assert list(pd.to_datetime(got[last_name])) == list(expected["last"])
    assert result.step("filter")["op"] == ">=" and result.step("filter")["value"] == 5
    # Users whose every order was under 5 are gone.
    dropped = set(tx["user_id"]) - set(kept["user_id"])
    assert not dropped & set(got.index)


def _duckdb_rfm(reference: str) -> pd.DataFrame:
    """RFM by SQL's own NTILE over the raw CSV: the definition the bot must match."""
    return duckdb.sql(
        f"""
        with users as (
            select user_id,
                   date_diff('day', max(date)::date, DATE '{reference}') as recency_days,
                   count(distinct order_id) as frequency,
                   sum(amount) as monetary
            from read_csv('{EXAMPLES / "transactions.csv"}', types={{'user_id': 'VARCHAR'}})
            group by user_id
        )
        select user_id, recency_days, frequency,
               ntile(5) over (order by recency_days desc, user_id) as R,
               ntile(5) over (order by frequency, user_id) as F,
               ntile(5) over (order by monetary, user_id) as M
        from users
        """
    ).df()


@pytest.mark.parametrize("question", [RFM_ZH, RFM_EN])
def test_rfm_scores_match_sql_ntile(ask: Ask, question: str) -> None:
    result = ask(EXAMPLES / "transactions.csv", question)
    assert result.exit_code == 0, result.stderr

    tx = read_transactions()
    reference = (tx["date"].max() + pd.Timedelta(days=1)).date().isoformat()
    rfm = result.step("rfm")
    assert rfm["reference_date"] == reference
    assert rfm["order_column"] == "order_id"
    assert any(reference in note for note in result.json["plan"]["notes"])

    expected = _duckdb_rfm(reference).set_index("user_id").sort_index()
    got = result.table("user_id", "R", "F", "M", "segment").set_index("user_id").sort_index()
    assert list(got.index) == list(expected.index)
    for column in ("recency_days", "frequency", "R", "F", "M"):
        assert got[column].astype(int).tolist() == expected[column].astype(int).tolist(), column
    # Frequency is the real order count, not 1 for everyone.
    assert got["frequency"].astype(int).max() > 1
    # NTILE(5): bin sizes differ by at most one, the first n % 5 bins one larger.
    sizes = got["F"].astype(int).value_counts().sort_index().tolist()
    n = len(got)
    assert sizes == [n // 5 + (1 if i < n % 5 else 0) for i in range(5)]
    assert got["segment"].nunique() > 1
