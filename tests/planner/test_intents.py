"""Every intent, in English and Chinese, maps to the steps it needs."""

from __future__ import annotations

import pytest

from bot.models import (
    AggregateStep,
    ChartStep,
    CorrelateStep,
    DescribeStep,
    OutliersStep,
    ResampleStep,
    TableStep,
    TopNStep,
    WindowStep,
)
from tests.planner.datasets import customers, sales_daily, sales_daily_zh, transactions
from tests.planner.helpers import kinds, plan, steps_of, template

SALES = sales_daily()
SALES_ZH = sales_daily_zh()
TRANSACTIONS = transactions()
CUSTOMERS = customers()


@pytest.mark.parametrize(
    "question",
    ["describe the data", "overview", "give me a summary", "数据概况", "概览", "描述统计"],
)
def test_overview_describes_and_counts_missing(question):
    p = plan(question, SALES)
    assert kinds(p) == ["load", "describe", "missing", "answer"]
    assert steps_of(p, "describe")[0] == DescribeStep(title=p.steps[1].title, output="summary")


@pytest.mark.parametrize(
    "question",
    ["how many rows", "missing values", "any null values?", "缺失值", "有多少行", "空值情况"],
)
def test_rows_and_missing_values(question):
    p = plan(question, SALES)
    assert kinds(p) == ["load", "missing", "answer"]
    assert "{missing_rows:,}" in template(p)


@pytest.mark.parametrize(
    ("question", "dataset", "by", "metrics"),
    [
        ("total sales by region", SALES, ["region"], [("sales", "sum", "total_sales")]),
        ("average sales per region", SALES, ["region"], [("sales", "mean", "avg_sales")]),
        ("各地区销售额", SALES_ZH, ["地区"], [("销售额", "sum", "销售额_合计")]),
        ("按地区统计订单数", SALES_ZH, ["地区"], [("订单数", "sum", "订单数_合计")]),
        ("各地区平均销售额", SALES_ZH, ["地区"], [("销售额", "mean", "销售额_平均")]),
        ("按地区统计销售额", SALES, ["region"], [("sales", "sum", "total_sales")]),
        (
            "average amount per category",
            TRANSACTIONS,
            ["category"],
            [("amount", "mean", "avg_amount")],
        ),
        (
            "number of orders by store",
            TRANSACTIONS,
            ["store"],
            [("order_id", "nunique", "distinct_order_id")],
        ),
        (
            "按门店统计订单数",
            TRANSACTIONS,
            ["store"],
            [("order_id", "nunique", "distinct_order_id")],
        ),
        (
            "sales by store and category",
            TRANSACTIONS,
            ["store", "category"],
            [("amount", "sum", "total_amount")],
        ),
        ("average age by gender", CUSTOMERS, ["gender"], [("age", "mean", "avg_age")]),
        ("各城市客户数", CUSTOMERS, ["city"], [("customer_id", "count", "rows")]),
    ],
)
def test_group_and_aggregate(question, dataset, by, metrics):
    p = plan(question, dataset)
    assert p.understood
    aggregate = steps_of(p, "aggregate")[0]
    assert isinstance(aggregate, AggregateStep)
    assert aggregate.by == by
    assert [(m.column, m.func, m.name) for m in aggregate.metrics] == metrics
    assert aggregate.sort_by == metrics[0][2]


@pytest.mark.parametrize(
    ("question", "dataset", "chart"),
    [
        ("total sales by region", SALES, True),  # 4 regions
        ("sales per category", TRANSACTIONS, True),  # 8 categories
        ("total amount per user", TRANSACTIONS, False),  # ~20k users
    ],
)
def test_aggregate_draws_bars_only_for_few_groups(question, dataset, chart):
    p = plan(question, dataset)
    charts = steps_of(p, "chart")
    assert bool(charts) is chart
    if chart:
        bar = charts[0]
        aggregate = steps_of(p, "aggregate")[0]
        assert isinstance(bar, ChartStep) and isinstance(aggregate, AggregateStep)
        assert (bar.chart, bar.source) == ("bar", aggregate.output)
        assert (bar.x, bar.y) == (aggregate.by[0], aggregate.metrics[0].name)


@pytest.mark.parametrize(
    ("question", "dataset", "column", "n", "ascending", "group_by"),
    [
        ("top 10 customers by amount", TRANSACTIONS, "amount", 10, False, "user_id"),
        ("top 5 regions by sales", SALES, "sales", 5, False, "region"),
        ("bottom 3 stores by revenue", TRANSACTIONS, "amount", 3, True, "store"),
        ("销售额最高的5个地区", SALES_ZH, "销售额", 5, False, "地区"),
        ("前10名用户", TRANSACTIONS, "amount", 10, False, "user_id"),
        ("消费金额最低的3个门店", TRANSACTIONS, "amount", 3, True, "store"),
        ("前十名门店", TRANSACTIONS, "amount", 10, False, "store"),
        ("top customers", TRANSACTIONS, "amount", 10, False, "user_id"),
        ("top 10 rows by sales", SALES, "sales", 10, False, None),
        ("which region has the highest sales", SALES, "sales", 1, False, "region"),
        ("哪个地区销售额最高", SALES_ZH, "销售额", 1, False, "地区"),
    ],
)
def test_top_n(question, dataset, column, n, ascending, group_by):
    p = plan(question, dataset)
    top = steps_of(p, "top_n")[0]
    assert isinstance(top, TopNStep)
    assert (top.column, top.n, top.ascending, top.group_by) == (column, n, ascending, group_by)
    if n > 1:
        bar = steps_of(p, "chart")[0]
        assert isinstance(bar, ChartStep) and (bar.chart, bar.source) == ("bar", top.output)


@pytest.mark.parametrize(
    ("question", "dataset", "freq", "value"),
    [
        ("monthly sales trend", SALES, "month", "sales"),
        ("每月销售额趋势", SALES_ZH, "month", "销售额"),
        ("按季度", SALES_ZH, "quarter", "销售额"),
        ("weekly orders", SALES, "week", "orders"),
        ("daily revenue", TRANSACTIONS, "day", "amount"),
        ("yearly sales", SALES, "year", "sales"),
        ("每年销售额", SALES_ZH, "year", "销售额"),
        ("sales trend", SALES, "month", "sales"),  # 18 months of data: months read best
        ("signup trend by month", CUSTOMERS, "month", None),  # no amount: count rows
    ],
)
def test_time_series(question, dataset, freq, value):
    p = plan(question, dataset)
    assert kinds(p) == ["load", "resample", "chart", "answer"]
    resample, chart = p.steps[1], p.steps[2]
    assert isinstance(resample, ResampleStep) and isinstance(chart, ChartStep)
    assert (resample.freq, resample.value_column) == (freq, value)
    assert (chart.chart, chart.source, chart.mark_peak) == ("line", resample.output, True)
    assert chart.x == "period"


@pytest.mark.parametrize(
    ("question", "last", "unit"),
    [
        ("sales over the last 12 months by month", 12, "month"),
        ("过去12个月每月销售额", 12, "month"),
        ("last 30 days daily sales", 30, "day"),
        ("近一年每月销售额趋势", 1, "year"),
        ("最近两个季度每周销售额", 6, "month"),
        ("近半年每月销售额", 6, "month"),
        ("past 8 weeks weekly sales", 8, "week"),
    ],
)
def test_window_comes_before_the_resample(question, last, unit):
    p = plan(question, SALES)
    window = p.steps[1]
    assert isinstance(window, WindowStep)
    assert (window.column, window.last, window.unit) == ("date", last, unit)
    assert kinds(p)[2] == "resample"


@pytest.mark.parametrize(
    ("question", "dataset", "column"),
    [
        ("distribution of amount", TRANSACTIONS, "amount"),
        ("金额分布", TRANSACTIONS, "amount"),
        ("histogram of sales", SALES, "sales"),
        ("销售额直方图", SALES_ZH, "销售额"),
        ("用户年龄分布", CUSTOMERS, "age"),
    ],
)
def test_histogram(question, dataset, column):
    p = plan(question, dataset)
    assert kinds(p) == ["load", "chart", "describe", "answer"]
    chart, describe = p.steps[1], p.steps[2]
    assert isinstance(chart, ChartStep) and isinstance(describe, DescribeStep)
    assert (chart.chart, chart.source, chart.x) == ("hist", "df", column)
    assert describe.columns == [column]


def test_histogram_bins_from_the_question():
    chart = plan("amount histogram with 20 bins", TRANSACTIONS).steps[1]
    assert isinstance(chart, ChartStep) and chart.bins == 20


def test_distribution_of_a_category_counts_its_values():
    p = plan("地区分布", SALES_ZH)
    aggregate = steps_of(p, "aggregate")[0]
    assert isinstance(aggregate, AggregateStep)
    assert aggregate.by == ["地区"] and aggregate.metrics[0].func == "count"


@pytest.mark.parametrize(
    ("question", "dataset", "columns", "heatmap"),
    [
        ("correlation between sales and orders", SALES, ["sales", "orders"], False),
        ("销售额和订单数的相关性", SALES_ZH, ["销售额", "订单数"], False),
        ("correlation matrix", SALES, ["sales", "orders"], True),
        ("相关系数矩阵", SALES_ZH, ["销售额", "订单数"], True),
        ("相关性", SALES, ["sales", "orders"], False),
    ],
)
def test_correlation(question, dataset, columns, heatmap):
    p = plan(question, dataset)
    correlate = steps_of(p, "correlate")[0]
    assert isinstance(correlate, CorrelateStep)
    assert correlate.columns == columns
    charts = [s for s in steps_of(p, "chart") if isinstance(s, ChartStep)]
    assert any(c.chart == "heatmap" for c in charts) is heatmap
    assert ("{correlation_strongest_pair}" in template(p)) is heatmap


def test_correlation_matrix_takes_every_numeric_column_up_to_twelve():
    from tests.planner.datasets import column, dataset

    wide = dataset(
        "wide.csv", 100, [column(f"m{i}", "number") for i in range(15)] + [column("t", "text")]
    )
    correlate = steps_of(plan("correlation matrix", wide), "correlate")[0]
    assert isinstance(correlate, CorrelateStep)
    assert correlate.columns == [f"m{i}" for i in range(12)]


def test_spearman_when_asked():
    correlate = steps_of(plan("spearman correlation of sales and orders", SALES), "correlate")[0]
    assert isinstance(correlate, CorrelateStep) and correlate.method == "spearman"


@pytest.mark.parametrize(
    ("question", "dataset", "column"),
    [
        ("outliers in amount", TRANSACTIONS, "amount"),
        ("金额异常值", TRANSACTIONS, "amount"),
        ("离群点", SALES_ZH, "销售额"),
        ("any anomalies in orders?", SALES, "orders"),
    ],
)
def test_outliers(question, dataset, column):
    p = plan(question, dataset)
    assert kinds(p) == ["load", "outliers", "answer"]
    outliers = p.steps[1]
    assert isinstance(outliers, OutliersStep)
    assert (outliers.column, outliers.k) == (column, 1.5)


def test_outlier_fence_from_the_question_is_not_a_filter():
    p = plan("outliers in amount with k=3", TRANSACTIONS)
    assert kinds(p) == ["load", "outliers", "answer"]
    assert isinstance(p.steps[1], OutliersStep) and p.steps[1].k == 3.0


@pytest.mark.parametrize(
    ("question", "bins"),
    [("RFM with 4 bins", 4), ("RFM 分3档", 3), ("RFM quintiles", 5), ("customer segmentation", 5)],
)
def test_rfm_bins(question, bins):
    rfm = steps_of(plan(question, TRANSACTIONS), "rfm")[0]
    assert rfm.bins == bins  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("question", "dataset", "then"),
    [
        ("sales in North by month", SALES, "resample"),
        ("华北地区每月销售额", SALES_ZH, "resample"),
        ("total sales by region where orders > 100", SALES, "aggregate"),
        ("订单数大于100的各地区销售额", SALES_ZH, "aggregate"),
        ("distribution of amount in Drinks", TRANSACTIONS, "chart"),
        ("top 5 stores by amount after 2026-01-01", TRANSACTIONS, "top_n"),
    ],
)
def test_filters_apply_before_the_analysis(question, dataset, then):
    p = plan(question, dataset)
    k = kinds(p)
    assert k[1] == "filter"
    assert "table" not in k
    assert k.index(then) > k.index("filter")
    assert "{rows_kept:,}" in template(p)


@pytest.mark.parametrize(
    ("question", "dataset"),
    [("orders with amount over 100", TRANSACTIONS), ("金额大于100的订单", TRANSACTIONS)],
)
def test_filter_alone_reports_the_matching_rows(question, dataset):
    p = plan(question, dataset)
    assert kinds(p) == ["load", "filter", "table", "answer"]
    table = p.steps[2]
    assert isinstance(table, TableStep) and table.output == "filtered"
    assert "{filtered_rows:,}" in template(p)


def test_a_statistic_without_a_group_describes_the_column():
    p = plan("average age", CUSTOMERS)
    assert kinds(p) == ["load", "describe", "answer"]
    assert p.steps[1].columns == ["age"]  # type: ignore[union-attr]


def test_sort_by_a_column():
    table = plan("sort by amount ascending", TRANSACTIONS).steps[1]
    assert isinstance(table, TableStep)
    assert (table.sort_by, table.ascending) == ("amount", True)
