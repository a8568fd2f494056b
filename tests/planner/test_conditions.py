"""Row conditions: comparison words and symbols in both languages, exclusions, values."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import FilterStep
from tests.planner.datasets import customers, sales_daily, sales_daily_zh, transactions
from tests.planner.helpers import plan, steps_of

SALES = sales_daily()
SALES_ZH = sales_daily_zh()
TRANSACTIONS = transactions()


def filters(question: str, dataset: Any = TRANSACTIONS) -> list[tuple[str, str, Any]]:
    found = steps_of(plan(question, dataset), "filter")
    return [(f.column, f.op, f.value) for f in found if isinstance(f, FilterStep)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("amount > 100", [("amount", ">", 100)]),
        ("amount >= 100", [("amount", ">=", 100)]),
        ("amount < 100", [("amount", "<", 100)]),
        ("amount <= 100", [("amount", "<=", 100)]),
        ("amount = 100", [("amount", "==", 100)]),
        ("amount != 100", [("amount", "!=", 100)]),
        ("amount ≥ 100", [("amount", ">=", 100)]),
        ("amount＞１００", [("amount", ">", 100)]),  # full-width, as typed with a CJK IME
        ("orders with amount over 100", [("amount", ">", 100)]),
        ("amount above 99.5", [("amount", ">", 99.5)]),
        ("amount more than 1,000", [("amount", ">", 1000)]),
        ("amount at least 50", [("amount", ">=", 50)]),
        ("amount no less than 50", [("amount", ">=", 50)]),
        ("amount under 20", [("amount", "<", 20)]),
        ("amount below 20", [("amount", "<", 20)]),
        ("amount at most 20", [("amount", "<=", 20)]),
        ("amount no more than 20", [("amount", "<=", 20)]),
        ("amount of 100 or more", [("amount", ">=", 100)]),
        ("amount over 1.5k", [("amount", ">", 1500)]),
        ("amount over $100", [("amount", ">", 100)]),
        ("amount between 10 and 100", [("amount", ">=", 10), ("amount", "<=", 100)]),
        ("金额大于100", [("amount", ">", 100)]),
        ("金额小于100", [("amount", "<", 100)]),
        ("金额不低于100", [("amount", ">=", 100)]),
        ("金额不超过100", [("amount", "<=", 100)]),
        ("金额超过100元", [("amount", ">", 100)]),
        ("金额高于100", [("amount", ">", 100)]),
        ("金额低于100", [("amount", "<", 100)]),
        ("金额100元以上", [("amount", ">=", 100)]),
        ("金额在100以下", [("amount", "<=", 100)]),
        ("金额等于100", [("amount", "==", 100)]),
        ("金额为100", [("amount", "==", 100)]),
        ("金额超过1万", [("amount", ">", 10000)]),
        ("金额在10到100之间", [("amount", ">=", 10), ("amount", "<=", 100)]),
        ("金额大于等于100", [("amount", ">=", 100)]),
    ],
)
def test_numeric_comparisons(question, expected):
    assert filters(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("去除金额小于5元的订单", [("amount", ">=", 5)]),
        ("剔除金额大于1000的订单", [("amount", "<=", 1000)]),
        ("排除金额不超过5的订单", [("amount", ">", 5)]),
        ("drop orders under 5", [("amount", ">=", 5)]),
        ("exclude orders with amount above 1000", [("amount", "<=", 1000)]),
        ("remove rows where amount = 0", [("amount", "!=", 0)]),
        ("exclude Food orders", [("category", "!=", "Food")]),
        ("剔除华北", [("地区", "!=", "华北")]),
    ],
)
def test_exclusion_inverts_the_comparison(question, expected):
    dataset = SALES_ZH if "华北" in question else TRANSACTIONS
    assert filters(question, dataset) == expected


@pytest.mark.parametrize(
    ("question", "dataset", "expected"),
    [
        ("region is North", SALES, [("region", "==", "North")]),
        ("region = north", SALES, [("region", "==", "North")]),  # the profile's spelling
        ("region is not South", SALES, [("region", "!=", "South")]),
        ("地区为华北", SALES_ZH, [("地区", "==", "华北")]),
        ("地区是华东", SALES_ZH, [("地区", "==", "华东")]),
        ("地区不是华南", SALES_ZH, [("地区", "!=", "华南")]),
        ("地区为华北或华南", SALES_ZH, [("地区", "in", ["华北", "华南"])]),
        ("region in North, South", SALES, [("region", "in", ["North", "South"])]),
        ("sales in North", SALES, [("region", "==", "North")]),
        ("华东和华南的销售额", SALES_ZH, [("地区", "in", ["华东", "华南"])]),
        ("category is Food and amount > 10", TRANSACTIONS,
         [("category", "==", "Food"), ("amount", ">", 10)]),
        ("user_id is U000123", TRANSACTIONS, [("user_id", "==", "U000123")]),
        ("store is 'Store B'", TRANSACTIONS, [("store", "==", "Store B")]),
        ("city is Hangzhou", customers(), [("city", "==", "Hangzhou")]),
        ("female customers", customers(), [("gender", "==", "F")]),
        ("男性用户", customers(), [("gender", "==", "M")]),
    ],
)  # fmt: skip
def test_equality_and_values(question, dataset, expected):
    assert filters(question, dataset) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("orders after 2026-01-01", [("date", ">", "2026-01-01")]),
        ("orders since 2026-1-5", [("date", ">=", "2026-01-05")]),
        ("orders before 2026/03/01", [("date", "<", "2026-03-01")]),
        ("2026-01-01之后的订单", [("date", ">", "2026-01-01")]),
        ("2026年3月1日之前的订单", [("date", "<", "2026-03-01")]),
        ("date >= 2026-06-01", [("date", ">=", "2026-06-01")]),
    ],
)
def test_date_conditions(question, expected):
    assert filters(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("drop rows with missing amount", [("amount", "notnull", None)]),
        ("去除金额为空的订单", [("amount", "notnull", None)]),
    ],
)
def test_dropping_missing_values_of_a_column(question, expected):
    assert filters(question) == expected


def test_dropping_missing_values_anywhere_uses_the_columns_with_nulls():
    assert filters("remove missing values", customers()) == [("email", "notnull", None)]
    p = plan("remove missing values and show total amount by store", TRANSACTIONS)
    assert not steps_of(p, "filter")
    assert any("no missing values" in note for note in p.notes)


def test_an_unnamed_column_falls_back_to_the_amount_and_says_so():
    p = plan("orders over 100", TRANSACTIONS)
    assert filters("orders over 100") == [("amount", ">", 100)]
    assert any("amount" in note for note in p.notes)


def test_a_column_named_after_the_number():
    assert filters("days with more than 300 orders", SALES) == [("orders", ">", 300)]


@pytest.mark.parametrize(
    "question",
    ["以用户为单位汇总金额", "sales over time", "top 10 customers", "每月销售额趋势"],
)
def test_no_condition_where_none_is_stated(question):
    dataset = SALES_ZH if "销售额" in question else TRANSACTIONS
    assert filters(question, dataset) == []
