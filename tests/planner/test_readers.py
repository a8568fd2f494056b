"""The keyword readers on their own: windows, frequencies, top-N, bins, flags."""

from __future__ import annotations

import pytest

from bot.planner.intents import (
    Intents,
    Window,
    read_bins,
    read_fence,
    read_flags,
    read_frequencies,
    read_top_n,
    read_window,
)
from bot.planner.language import Query


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("last 12 months", Window(12, "month")),
        ("in the past 30 days", Window(30, "day")),
        ("previous 2 quarters", Window(6, "month")),
        ("last year", Window(1, "year")),
        ("过去12个月", Window(12, "month")),
        ("近一年", Window(1, "year")),
        ("最近三个月", Window(3, "month")),
        ("最近两周", Window(2, "week")),
        ("近30天", Window(30, "day")),
        ("近半年", Window(6, "month")),
        ("最近购买日期", None),
        ("最近日期", None),
        ("monthly sales", None),
    ],
)
def test_window(text, window):
    assert read_window(Query(text)) == window


def test_window_words_are_not_read_again_as_a_frequency():
    q = Query("过去12个月的销售额，标注峰值月份")
    read_window(q)
    assert read_frequencies(q) == (["month"], False)


@pytest.mark.parametrize(
    ("text", "frequencies", "strong"),
    [
        ("monthly sales", ["month"], True),
        ("sales by quarter", ["quarter"], True),
        ("每月销售额", ["month"], True),
        ("按季度", ["quarter"], True),
        ("分析季度波动，标注峰值月份", ["month", "quarter"], True),
        ("daily and weekly", ["day", "week"], True),
        ("peak month", ["month"], False),
        ("total by region", [], False),
    ],
)
def test_frequencies(text, frequencies, strong):
    assert read_frequencies(Query(text)) == (frequencies, strong)


@pytest.mark.parametrize(
    ("text", "n", "ascending", "explicit"),
    [
        ("top 10 customers", 10, False, True),
        ("top customers", 10, False, True),
        ("bottom 3 stores", 3, True, True),
        ("5 highest regions", 5, False, True),
        ("前10名用户", 10, False, True),
        ("前十名", 10, False, True),
        ("销售额最高的5个地区", 5, False, True),
        ("金额最低的3个门店", 3, True, True),
        ("倒数5名", 5, True, True),
        ("which region has the highest sales", 10, False, False),
        ("哪个地区销售额最高", 10, False, False),
    ],
)
def test_top_n(text, n, ascending, explicit):
    top = read_top_n(Query(text))
    assert top is not None
    assert (top.n, top.ascending, top.explicit) == (n, ascending, explicit)


@pytest.mark.parametrize("text", ["各地区销售额最大值", "monthly sales", "最近购买日期"])
def test_no_top_n(text):
    assert read_top_n(Query(text)) is None


@pytest.mark.parametrize(
    ("text", "bins"),
    [
        ("R为最近购买天数(分5档)，F为消费频次(分5档)", [5, 5]),
        ("分五档", [5]),
        ("4 bins", [4]),
        ("quintiles", [5]),
        ("四分位", [4]),
        ("no bins here", []),
    ],
)
def test_bins(text, bins):
    assert read_bins(Query(text)) == bins


@pytest.mark.parametrize(
    ("text", "k"), [("k=3", 3.0), ("2.5x IQR", 2.5), ("3倍四分位距", 3.0), ("x", 1.5)]
)
def test_fence(text, k):
    assert read_fence(Query(text)) == k


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("describe the data", "describe_strong"),
        ("数据概况", "describe_strong"),
        ("how many rows", "missing"),
        ("有多少行", "missing"),
        ("空值", "missing"),
        ("distribution of amount", "histogram"),
        ("金额分布", "histogram"),
        ("correlation between a and b", "correlation"),
        ("相关系数", "correlation"),
        ("correlation matrix", "matrix"),
        ("outliers", "outliers"),
        ("离群", "outliers"),
        ("RFM segmentation", "rfm"),
        ("用户分群", "rfm"),
        ("sales trend", "trend"),
        ("波动规律", "trend"),
        ("标注峰值", "peak"),
        ("how many orders", "count"),
    ],
)
def test_flags(text, flag):
    intents = Intents()
    read_flags(Query(text), intents)
    assert getattr(intents, flag) is True


@pytest.mark.parametrize(
    ("text", "chart"),
    [("输出折线图", "line"), ("bar chart", "bar"), ("散点图", "scatter"), ("heatmap", "heatmap"),
     ("饼图", "pie"), ("plot it", "any"), ("just the numbers", None)],
)  # fmt: skip
def test_chart_requests(text, chart):
    intents = Intents()
    read_flags(Query(text), intents)
    assert intents.chart == chart
