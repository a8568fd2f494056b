"""Every plan the rules planner makes over the bundled examples reviews as ok."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.codegen import generate_code
from bot.ingest import ingest
from bot.models import Dataset
from bot.planner.rules import RulesPlanner
from bot.review import review
from bot.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

QUESTIONS = [
    ("transactions.csv", "segment customers by RFM"),
    ("transactions.csv", "RFM 分群"),
    ("transactions.csv", "Show the orders with amount over 1000"),
    ("transactions.csv", "金额大于1000的订单"),
    ("transactions.csv", "top 3 stores by amount"),
    ("transactions.csv", "销售额最高的3个门店"),
    (
        "transactions.csv",
        "清洗用户交易数据，去除金额小于5元的订单，按用户ID聚合消费总额和最近购买日期",
    ),
    ("transactions.csv", "histogram of amount"),
    ("transactions.csv", "outliers in amount"),
    ("transactions.csv", "total amount by category"),
    ("transactions.csv", "monthly amount trend"),
    ("transactions.csv", "how many rows and missing values"),
    ("sales_daily.csv", "Give me an overview of the data"),
    ("sales_daily.csv", "total sales by region"),
    ("sales_daily.csv", "monthly sales trend"),
    ("sales_daily.csv", "sales by quarter"),
    ("sales_daily.csv", "yearly sales"),
    ("sales_daily.csv", "daily sales over time"),
    ("sales_daily.csv", "weekly orders"),
    ("sales_daily.csv", "correlation between sales and orders"),
    ("sales_daily.csv", "correlation matrix"),
    ("sales_daily.csv", "describe sales"),
    ("sales_daily.csv", "outliers in sales"),
    ("sales_daily.csv", "something the planner cannot map"),
    ("sales_daily_zh.csv", "用过去12个月的销售数据，分析季度波动规律，输出折线图并标注峰值月份"),
    ("sales_daily_zh.csv", "各地区销售额"),
    ("sales_daily_zh.csv", "每周销售额趋势"),
    ("sales_daily_zh.csv", "统计一下有多少行，各列缺失值情况"),
    ("customers.csv", "average total_spend by city"),
    ("customers.csv", "age distribution"),
    ("customers.csv", "top 5 customers by total_spend"),
    ("customers.csv", "按性别统计订单数"),
]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Dataset]:
    root = tmp_path_factory.mktemp("review")
    settings = Settings(data_dir=root / "data", db_path=root / "threadlab.db")
    names = sorted({name for name, _ in QUESTIONS})
    return {name: ingest(EXAMPLES / name, settings) for name in names}


@pytest.mark.parametrize(("data", "question"), QUESTIONS)
def test_generated_code_reviews_as_ok(
    datasets: dict[str, Dataset], data: str, question: str
) -> None:
    code = generate_code(RulesPlanner().plan(question, datasets[data]))
    result = review(code)
    assert result.findings == [], result.findings
    assert result.status == "ok"
