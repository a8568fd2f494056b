"""The three seed requests, in Chinese and English, plan exactly as specified."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import (
    AggregateStep,
    ChartStep,
    FilterStep,
    Metric,
    ResampleStep,
    RFMStep,
    WindowStep,
)
from tests.planner.datasets import sales_daily, sales_daily_zh, transactions
from tests.planner.helpers import kinds, plan, template, unprovided

QUARTERLY_ZH = "用过去12个月的销售数据，分析季度波动规律，输出折线图并标注峰值月份"
QUARTERLY_EN = (
    "Using the last 12 months of sales, analyse the quarterly fluctuation, draw a line chart "
    "and mark the peak month"
)
RFM_ZH = (
    "计算RFM得分，R为最近购买天数(分5档)，F为消费频次(分5档)，M为消费金额(分5档)，输出用户分群结果"
)
RFM_EN = (
    "Compute RFM scores: R is days since the last purchase (5 bins), F the purchase frequency "
    "(5 bins), M the amount spent (5 bins); output the user segments"
)
CLEAN_ZH = "清洗用户交易数据，去除金额小于5元的订单，按用户ID聚合消费总额和最近购买日期"
CLEAN_EN = "Clean the transactions: drop orders under 5, then total spend and last purchase date per user ID"  # noqa: E501


@pytest.mark.parametrize("question", [QUARTERLY_ZH, QUARTERLY_EN])
@pytest.mark.parametrize(
    ("make", "date", "value"),
    [
        (sales_daily, "date", "sales"),
        (sales_daily_zh, "日期", "销售额"),
        (transactions, "date", "amount"),
    ],
)
def test_quarterly_fluctuation_with_peak_month(question, make, date, value):
    p = plan(question, make())
    assert p.understood
    assert kinds(p) == ["load", "window", "resample", "chart", "resample", "answer"]
    _, window, monthly, chart, quarterly, _ = p.steps
    assert window == WindowStep(title=window.title, column=date, last=12, unit="month")
    assert isinstance(monthly, ResampleStep) and isinstance(quarterly, ResampleStep)
    assert (monthly.output, monthly.freq, monthly.date_column) == ("monthly", "month", date)
    assert (quarterly.output, quarterly.freq) == ("quarterly", "quarter")
    assert monthly.value_column == quarterly.value_column == value
    assert monthly.func == quarterly.func == "sum"
    assert isinstance(chart, ChartStep)
    assert (chart.chart, chart.source, chart.mark_peak) == ("line", "monthly", True)
    answer = template(p)
    for fact in ("quarterly_series", "quarterly_peak_period", "monthly_peak_period"):
        assert "{" + fact in answer
    assert unprovided(p) == set()


def test_quarterly_fluctuation_answers_in_the_question_language():
    zh = plan(QUARTERLY_ZH, sales_daily())
    en = plan(QUARTERLY_EN, sales_daily())
    assert (zh.language, en.language) == ("zh", "en")
    assert "峰值月份" in template(zh) and "峰值季度" in template(zh)
    assert "peak month" in template(en) and "peak quarter" in template(en)


@pytest.mark.parametrize("question", [RFM_ZH, RFM_EN, "segment customers by RFM"])
def test_rfm_resolves_columns_bins_and_reference_date(question):
    p = plan(question, transactions())
    assert p.understood
    assert kinds(p) == ["load", "rfm", "answer"]
    rfm = p.steps[1]
    assert isinstance(rfm, RFMStep)
    assert (rfm.user_column, rfm.date_column, rfm.amount_column) == ("user_id", "date", "amount")
    assert rfm.order_column == "order_id"
    assert rfm.bins == 5
    # The latest date in the profile is 2026-11-30; recency counts to the day after.
    assert rfm.reference_date == dt.date(2026, 12, 1)
    assert any("2026-12-01" in note for note in p.notes)
    assert unprovided(p) == set()


def test_rfm_template_names_the_segments_in_chinese():
    answer = template(plan(RFM_ZH, transactions()))
    assert "{rfm_top_segment}" in answer and "{rfm_segment_counts}" in answer
    assert "分群" in answer


@pytest.mark.parametrize("question", [CLEAN_ZH, CLEAN_EN])
def test_clean_then_aggregate_per_user(question):
    p = plan(question, transactions())
    assert p.understood
    assert kinds(p) == ["load", "filter", "aggregate", "answer"]
    _, keep, grouped, _ = p.steps
    assert isinstance(keep, FilterStep) and isinstance(grouped, AggregateStep)
    assert (keep.column, keep.op, keep.value) == ("amount", ">=", 5)
    assert grouped.by == ["user_id"]
    assert grouped.metrics == [
        Metric(column="amount", func="sum", name="total_amount"),
        Metric(column="date", func="max", name="last_purchase_date"),
    ]
    assert grouped.sort_by == "total_amount"
    answer = template(p)
    assert "{rows_kept" in answer and f"{{{grouped.output}_top_group}}" in answer
    assert unprovided(p) == set()
