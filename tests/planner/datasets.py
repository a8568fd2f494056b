"""Profiles shaped like the bundled sample files, built directly (no files needed)."""

from __future__ import annotations

from typing import Any

from bot.models import ColumnKind, ColumnProfile, Dataset, DatasetProfile


def column(
    name: str,
    kind: ColumnKind,
    *,
    distinct: int | None = None,
    low: Any = None,
    high: Any = None,
    examples: list[Any] | None = None,
    nulls: int = 0,
) -> ColumnProfile:
    dtypes = {
        "integer": "int64", "number": "float64", "text": "object", "identifier": "object",
        "datetime": "datetime64[ns]", "boolean": "bool",
    }  # fmt: skip
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=dtypes[kind],
        nulls=nulls,
        distinct=distinct,
        min=low,
        max=high,
        examples=examples or [],
    )


def dataset(name: str, rows: int, columns: list[ColumnProfile]) -> Dataset:
    return Dataset(
        id="0123456789ab",
        name=name,
        source_path=f"/data/{name}",
        cache_path=f"/data/{name}.parquet",
        size_bytes=1024,
        format="csv",
        profile=DatasetProfile(rows=rows, columns=columns),
    )


def sales_daily() -> Dataset:
    return dataset(
        "sales_daily.csv",
        2196,
        [
            column("date", "datetime", distinct=549, low="2025-06-01", high="2026-11-30"),
            column("region", "text", distinct=4, examples=["North", "South", "East", "West"]),
            column("sales", "number", distinct=2190, low=120.5, high=9800.0),
            column("orders", "integer", distinct=310, low=3, high=420),
        ],
    )


def sales_daily_zh() -> Dataset:
    return dataset(
        "sales_daily_zh.csv",
        2196,
        [
            column("日期", "datetime", distinct=549, low="2025-06-01", high="2026-11-30"),
            column("地区", "text", distinct=4, examples=["华北", "华南", "华东", "华西"]),
            column("销售额", "number", distinct=2190, low=120.5, high=9800.0),
            column("订单数", "integer", distinct=310, low=3, high=420),
        ],
    )


def transactions() -> Dataset:
    return dataset(
        "transactions.csv",
        250_000,
        [
            column("user_id", "identifier", distinct=20_000, examples=["U000123", "U004567"]),
            column("order_id", "identifier", distinct=250_000, examples=["O0000001"]),
            column("amount", "number", distinct=40_000, low=0.5, high=4999.0),
            column(
                "date",
                "datetime",
                distinct=730,
                low="2024-12-01T00:00:00",
                high="2026-11-30T00:00:00",
            ),
            column(
                "store",
                "text",
                distinct=10,
                examples=["Store A", "Store B", "Store C"],
            ),
            column(
                "category",
                "text",
                distinct=8,
                examples=["Food", "Drinks", "Home", "Beauty", "Toys", "Books", "Garden", "Pets"],
            ),
        ],
    )


def customers() -> Dataset:
    return dataset(
        "customers.csv",
        5000,
        [
            column("customer_id", "identifier", distinct=5000, examples=["C00001"]),
            column("name", "text", distinct=4900, examples=["Alice Smith"]),
            column("phone", "identifier", distinct=5000),
            column("id_number", "identifier", distinct=5000),
            column("email", "text", distinct=5000, nulls=12),
            column(
                "city",
                "text",
                distinct=12,
                examples=["Shanghai", "Beijing", "Shenzhen", "Guangzhou"],
            ),
            column("signup_date", "datetime", distinct=900, low="2023-01-02", high="2026-11-29"),
            column("age", "integer", distinct=60, low=18, high=77),
            column("gender", "text", distinct=2, examples=["F", "M"]),
        ],
    )


ALL = {
    "sales_daily": sales_daily,
    "sales_daily_zh": sales_daily_zh,
    "transactions": transactions,
    "customers": customers,
}
