"""What a time series sums up: the measure the question names, not always the amount."""

from __future__ import annotations

import pytest

from bot.models import ResampleStep
from tests.planner.datasets import sales_daily, sales_daily_zh, transactions
from tests.planner.helpers import plan, steps_of


@pytest.mark.parametrize(
    ("question", "make", "value", "func"),
    [
        ("每月订单数", transactions, "order_id", "nunique"),
        ("monthly number of orders", transactions, "order_id", "nunique"),
        ("每月订单数", sales_daily_zh, "订单数", "sum"),
        ("monthly orders", sales_daily, "orders", "sum"),
        ("monthly sales trend", sales_daily, "sales", "sum"),
        ("average amount per month", transactions, "amount", "mean"),
        ("每月销售额趋势", sales_daily_zh, "销售额", "sum"),
    ],
)
def test_series_totals_the_named_measure(question, make, value, func) -> None:  # type: ignore[no-untyped-def]
    resample = steps_of(plan(question, make()), "resample")[0]
    assert isinstance(resample, ResampleStep)
    assert (resample.value_column, resample.func) == (value, func)
