"""Every plan the planner emits is well formed and its answer only reads provided facts."""

from __future__ import annotations

import pytest

from bot.codegen.facts import facts_provided, template_fields
from bot.models import AnswerStep, LoadStep, Plan
from bot.planner.language import has_cjk
from tests.planner.datasets import ALL, column, dataset
from tests.planner.helpers import fake_facts, plan, template

QUESTIONS = [
    "describe the data", "overview", "how many rows", "missing values", "数据概况", "有多少行",
    "缺失值", "orders with amount over 100", "amount > 100", "金额大于100的订单",
    "去除金额小于5元的订单", "region is North", "地区为华北", "total sales by region",
    "average amount per category", "各地区销售额", "按地区统计订单数",
    "按用户ID聚合消费总额和最近购买日期", "top 10 customers by amount", "销售额最高的5个地区",
    "前10名用户", "monthly sales trend", "每月销售额趋势", "按季度", "last 12 months by month",
    "用过去12个月的销售数据，分析季度波动规律，输出折线图并标注峰值月份",
    "Using the last 12 months of sales, analyse the quarterly fluctuation, draw a line chart "
    "and mark the peak month",
    "distribution of amount", "金额分布", "histogram", "correlation between sales and orders",
    "correlation matrix", "相关性", "相关系数", "outliers in amount", "异常值", "离群",
    "RFM segmentation", "segment customers by RFM",
    "计算RFM得分，R为最近购买天数(分5档)，F为消费频次(分5档)，M为消费金额(分5档)，输出用户分群结果",
    "清洗用户交易数据，去除金额小于5元的订单，按用户ID聚合消费总额和最近购买日期",
    "Clean the transactions: drop orders under 5, then total spend and last purchase date "
    "per user ID",
    "first and last purchase date per store", "latest date by region", "各地区最早日期",
    "which region has the highest sales", "top 5 cities by number of customers",
    "average age by gender", "sort by amount", "what is the weather like", "你好",
    "daily orders in the last 30 days", "订单数大于100的各地区销售额", "地区分布",
    "scatter plot of sales and orders", "饼图展示各地区销售额", "sales by region bar chart",
    "monthly sales by region", "describe amount and date", "how many customers", "平均年龄",
    "remove missing values",
]  # fmt: skip
CASES = [(name, q) for name in ALL for q in QUESTIONS]


@pytest.mark.parametrize(("dataset_name", "question"), CASES)
def test_every_plan_is_well_formed(dataset_name, question):
    data = ALL[dataset_name]()
    p = plan(question, data)
    assert p.dataset == data.name
    assert p.language == ("zh" if has_cjk(question) else "en")
    assert isinstance(p.steps[0], LoadStep)
    answers = [s for s in p.steps if isinstance(s, AnswerStep)]
    assert len(answers) == 1 and p.steps[-1] is answers[0]
    if not p.understood:
        assert len(p.steps) == 2
    assert Plan.model_validate(p.model_dump()) == p
    # Column names the plan uses exist in the profile.
    names = set(data.profile.names)
    for step in p.steps:
        for field in ("column", "date_column", "value_column", "user_column", "amount_column",
                      "order_column", "group_by"):  # fmt: skip
            value = getattr(step, field, None)
            assert value is None or value in names, (step, field)


@pytest.mark.parametrize(("dataset_name", "question"), CASES)
def test_answer_templates_use_only_provided_facts_and_format(dataset_name, question):
    data = ALL[dataset_name]()
    p = plan(question, data)
    fields = template_fields(template(p))
    assert fields <= facts_provided(p)
    text = template(p).format(**fake_facts(p, data))
    assert "{" not in text.replace("{{", "")


@pytest.mark.parametrize(("dataset_name", "question"), CASES)
def test_words_are_in_the_question_language(dataset_name, question):
    data = ALL[dataset_name]()
    p = plan(question, data)
    texts = [p.summary, template(p), *p.notes, *(s.title for s in p.steps)]
    if p.language == "zh":
        assert all(has_cjk(t) for t in texts), texts
        return
    # English text may quote Chinese column names, and nothing else in Chinese.
    for text in texts:
        for name in data.profile.names:
            text = text.replace(name, "")
        assert not has_cjk(text), text


WEIRD = dataset(
    "weird.csv",
    10,
    [
        column("amount {usd}", "number"),
        column("re}gion", "text", distinct=3, examples=["a{b", "c"]),
        column("day", "datetime", low="2026-01-01", high="2026-03-01"),
    ],
)


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("total amount {usd} by re}gion", "groups by re}gion; ranked by total amount {usd}"),
        ("re}gion is a{b", "rows match re}gion = a{b"),
        ("outliers", "amount {usd} has 12 outliers"),
        ("hello", "Columns I can use: amount {usd} (number), re}gion (text)"),
    ],
)
def test_braces_in_column_names_and_values_are_escaped(question, shown):
    p = plan(question, WEIRD)
    assert shown in template(p).format(**fake_facts(p, WEIRD))
