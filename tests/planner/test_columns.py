"""Column resolution: exact names, synonyms in both languages, near misses, kinds."""

from __future__ import annotations

import pytest

from bot.planner.columns import ColumnResolver
from bot.planner.synonyms import concepts_of, name_tokens
from tests.planner.datasets import (
    column,
    customers,
    dataset,
    sales_daily,
    sales_daily_zh,
    transactions,
)

SALES = ColumnResolver(sales_daily().profile)
SALES_ZH = ColumnResolver(sales_daily_zh().profile)
TRANSACTIONS = ColumnResolver(transactions().profile)
CUSTOMERS = ColumnResolver(customers().profile)


def named(resolver: ColumnResolver, text: str) -> list[str]:
    """The top candidate of every mention, left to right."""
    return [m.columns[0] for m in resolver.mentions(text.lower())]


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("customer_id", ["customer", "id"]),
        ("customerId", ["customer", "id"]),
        ("Signup Date", ["signup", "date"]),
        ("销售额", []),
    ],
)
def test_name_tokens(name, tokens):
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(
    ("name", "concepts"),
    [
        ("sales", ("amount",)),
        ("amount", ("amount",)),
        ("user_id", ("user",)),
        ("customer_id", ("user",)),
        ("order_id", ("order",)),
        ("orders", ("order",)),
        ("signup_date", ("date",)),
        ("销售额", ("amount",)),
        ("订单数", ("order",)),
        ("购买日期", ("date",)),
        ("地区", ("region",)),
        ("restore_flag", ()),
    ],
)
def test_concepts_of_column_names(name, concepts):
    assert concepts_of(name) == concepts


@pytest.mark.parametrize(
    ("resolver", "text", "expected"),
    [
        (SALES, "sales by region", ["sales", "region"]),
        (SALES, "SALES by REGION", ["sales", "region"]),
        (SALES, "revenue per area", ["sales", "region"]),
        (SALES, "turnover and orders", ["sales", "orders"]),
        (SALES, "各地区销售额", ["region", "sales"]),  # Chinese words, English headers
        (SALES_ZH, "各地区销售额", ["地区", "销售额"]),
        (SALES_ZH, "revenue by region", ["销售额", "地区"]),  # English words, Chinese headers
        (SALES_ZH, "每天的营业额", ["销售额"]),
        (SALES_ZH, "日期和订单数", ["日期", "订单数"]),
        (TRANSACTIONS, "spend per customer", ["amount", "user_id"]),
        (TRANSACTIONS, "消费金额和购买日期", ["amount", "date"]),
        (TRANSACTIONS, "按用户ID聚合", ["user_id"]),
        (TRANSACTIONS, "by user id", ["user_id"]),
        (TRANSACTIONS, "per user-id", ["user_id"]),
        (TRANSACTIONS, "各门店各品类", ["store", "category"]),
        (TRANSACTIONS, "stores and categories", ["store", "category"]),
        (CUSTOMERS, "by customer id", ["customer_id"]),
        (CUSTOMERS, "cities", ["city"]),
        (CUSTOMERS, "会员年龄", ["customer_id", "age"]),
    ],
)
def test_exact_names_and_synonyms(resolver, text, expected):
    assert named(resolver, text) == expected


@pytest.mark.parametrize(
    ("resolver", "text", "expected"),
    [
        (TRANSACTIONS, "avg ammount by catgory", ["amount", "category"]),
        (TRANSACTIONS, "by custmer", ["user_id"]),
        (CUSTOMERS, "signup by month", ["signup_date"]),
        (CUSTOMERS, "customerid", ["customer_id"]),
        (SALES_ZH, "销售金额", ["销售额"]),
    ],
)
def test_near_misses(resolver, text, expected):
    assert named(resolver, text) == expected


def test_chinese_header_near_miss():
    resolver = ColumnResolver(
        dataset("x.csv", 10, [column("消费金额合计", "number"), column("门店", "text")]).profile
    )
    assert named(resolver, "消费金额汇总按门店") == ["消费金额合计", "门店"]


def test_near_misses_leave_ordinary_words_alone():
    assert named(TRANSACTIONS, "show the monthly distribution of data") == []


def test_longest_alias_wins():
    mentions = TRANSACTIONS.mentions("最近购买日期")
    assert [(m.start, m.end, m.columns[0]) for m in mentions] == [(2, 6, "date")]


def test_kinds_decide_the_role():
    mention = TRANSACTIONS.mentions("orders")[0]
    assert mention.columns == ("order_id",)
    assert TRANSACTIONS.pick(mention, "numeric") is None  # an identifier is not a value
    assert TRANSACTIONS.pick(mention, "group") == "order_id"
    orders = SALES.mentions("orders")[0]
    assert SALES.pick(orders, "numeric") == "orders"
    assert SALES.pick(orders, "group") is None  # a count is a value, not a group


def test_integer_labels_group_but_measures_do_not():
    assert CUSTOMERS.groupable("age")  # 60 distinct ages
    assert not SALES.groupable("orders")  # a count, even with few values


@pytest.mark.parametrize(
    ("resolver", "role", "expected"),
    [
        (SALES, "date", "date"),
        (SALES, "amount", "sales"),
        (SALES_ZH, "amount", "销售额"),
        (TRANSACTIONS, "user", "user_id"),
        (TRANSACTIONS, "order", "order_id"),
        (CUSTOMERS, "date", "signup_date"),
        (CUSTOMERS, "amount", None),  # age is a number, not money
        (SALES, "user", None),
    ],
)
def test_fallbacks_by_kind_and_name(resolver, role, expected):
    assert resolver.fallback(role) == expected


def test_fallback_amount_prefers_a_float_with_an_amount_name():
    resolver = ColumnResolver(
        dataset(
            "x.csv",
            10,
            [column("qty", "integer"), column("revenue", "number"), column("cost", "number")],
        ).profile
    )
    assert resolver.fallback("amount") == "revenue"


def test_fallback_date_with_several_dates_prefers_a_date_name():
    resolver = ColumnResolver(
        dataset(
            "x.csv",
            10,
            [column("shipped", "datetime"), column("order_date", "datetime")],
        ).profile
    )
    assert resolver.fallback("date") == "order_date"
