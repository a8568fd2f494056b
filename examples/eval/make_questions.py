"""Writes ThreadLab's own evaluation set in the InfiAgent-DABench layout, deterministically.

    python examples/eval/make_questions.py [--out DIR]

- threadlab-tables/monthly_sales.csv: 48 rows, one per month of 2024 and region (North,
  South, East, West): units, revenue and ad_spend, with ad spend driving units.
- threadlab-tables/products.csv: 36 products in four categories: price, cost, weight,
  rating (four missing) and stock, with three clearly over-priced items.
- threadlab-questions.jsonl / threadlab-labels.jsonl: ten questions over those tables and
  their answers.

The labels are computed here with pandas and SciPy from the CSV files as written (read
back, so what is scored is what ships), and rounded as each question's format asks.
Each label is also checked to sit clearly away from any boundary its question draws
(a rounding tie, the cut between "strong" and "moderate", p = 0.05, a fence of the
outlier rule), so the expected answer does not hinge on floating-point noise.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]  # no stubs installed

HERE = Path(__file__).resolve().parent
SEED = 20240601
TABLES = "threadlab-tables"
REGIONS = {"North": 42.0, "South": 35.0, "East": 51.0, "West": 29.0}  # average unit price
SEASON = (0.82, 0.80, 0.93, 0.98, 1.04, 1.12, 1.20, 1.16, 1.02, 0.97, 1.05, 1.31)
CATEGORIES = {  # name: (price range, cost as a share of price range)
    "Electronics": ((80.0, 400.0), (0.62, 0.78)),
    "Home": ((15.0, 120.0), (0.45, 0.60)),
    "Toys": ((8.0, 60.0), (0.35, 0.55)),
    "Garden": ((12.0, 150.0), (0.50, 0.66)),
}


def monthly_sales(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for month_index, season in enumerate(SEASON):
        for region, unit_price in REGIONS.items():
            ad_spend = float(rng.uniform(800, 3200)) * season
            units = round(300 + 0.18 * ad_spend + float(rng.normal(0, 60)))
            revenue = units * unit_price * float(rng.uniform(0.95, 1.05))
            rows.append(
                {
                    "month": f"2024-{month_index + 1:02d}",
                    "region": region,
                    "units": units,
                    "revenue": round(revenue, 2),
                    "ad_spend": round(ad_spend, 2),
                }
            )
    return pd.DataFrame(rows)


def products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for index in range(36):
        category = list(CATEGORIES)[index % len(CATEGORIES)]
        (low, high), (cost_low, cost_high) = CATEGORIES[category]
        price = float(rng.uniform(low, high))
        rows.append(
            {
                "product_id": f"P{index + 1:03d}",
                "category": category,
                "price": round(price, 2),
                "cost": round(price * float(rng.uniform(cost_low, cost_high)), 2),
                "weight_kg": round(0.2 + price / 90 + float(rng.gamma(2.0, 0.6)), 2),
                "rating": round(float(rng.uniform(2.8, 4.9)), 1),
                "stock": int(rng.integers(0, 250)),
            }
        )
    frame = pd.DataFrame(rows)
    # Premium items far above every category's range: what the outlier question finds.
    for product_id, price in (("P007", 1890.0), ("P018", 1425.5), ("P031", 2310.0)):
        at = frame["product_id"] == product_id
        frame.loc[at, "cost"] = round(price * 0.7, 2)
        frame.loc[at, "price"] = price
    frame["rating"] = frame["rating"].astype(float)
    frame.loc[frame["product_id"].isin(["P004", "P013", "P022", "P035"]), "rating"] = np.nan
    return frame


@dataclass(frozen=True)
class Question:
    file_name: str
    level: str
    concepts: list[str]
    question: str
    constraints: str
    format: str
    answers: Callable[[pd.DataFrame], list[tuple[str, str]]]


def away(value: float, boundary: float, margin: float, what: str) -> None:
    """Stops the generator when a label sits so close to a boundary that noise decides it."""
    if abs(value - boundary) < margin:
        raise SystemExit(f"{what} = {value} is within {margin} of {boundary}; change SEED")


def rounded(value: float, decimals: int, what: str) -> str:
    # A value halfway between two roundings would make the label depend on the tie rule.
    scaled = value * 10**decimals
    away(scaled - np.floor(scaled), 0.5, 0.001, f"{what} (rounding)")
    return f"{value:.{decimals}f}"


def mean_and_std(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [
        ("mean_revenue", rounded(df["revenue"].mean(), 2, "mean")),
        ("std_revenue", rounded(df["revenue"].std(ddof=1), 2, "std")),
    ]


def top_region(df: pd.DataFrame) -> list[tuple[str, str]]:
    totals = df.groupby("region")["revenue"].sum().sort_values(ascending=False)
    away(totals.iloc[0], totals.iloc[1], 100.0, "gap to the second region")
    return [
        ("top_region", str(totals.index[0])),
        ("top_region_revenue", rounded(totals.iloc[0], 2, "top total")),
    ]


def ad_correlation(df: pd.DataFrame) -> list[tuple[str, str]]:
    r = float(df["ad_spend"].corr(df["revenue"], method="pearson"))
    for cut in (0.4, 0.7):
        away(abs(r), cut, 0.03, "|r|")
    strength = "strong" if abs(r) >= 0.7 else "moderate" if abs(r) >= 0.4 else "weak"
    return [("correlation_coefficient", rounded(r, 4, "r")), ("relationship_strength", strength)]


def price_skew(df: pd.DataFrame) -> list[tuple[str, str]]:
    skew = cast(float, df["price"].skew())
    away(skew, 0.0, 0.1, "skewness")
    direction = "positive" if skew > 0 else "negative"
    return [("price_skewness", rounded(skew, 3, "skew")), ("skew_direction", direction)]


def units_normality(df: pd.DataFrame) -> list[tuple[str, str]]:
    p = float(stats.shapiro(df["units"]).pvalue)
    away(p, 0.05, 0.01, "Shapiro-Wilk p")
    return [("shapiro_p_value", rounded(p, 4, "p")), ("is_normal", "yes" if p > 0.05 else "no")]


def best_margin(df: pd.DataFrame) -> list[tuple[str, str]]:
    margin = (df["price"] - df["cost"]) / df["price"]
    by_category = margin.groupby(df["category"]).mean().sort_values(ascending=False)
    away(by_category.iloc[0], by_category.iloc[1], 0.01, "gap to the second category")
    return [
        ("best_margin_category", str(by_category.index[0])),
        ("best_mean_margin", rounded(by_category.iloc[0], 4, "margin")),
    ]


def price_outliers(df: pd.DataFrame) -> list[tuple[str, str]]:
    q1, q3 = df["price"].quantile(0.25), df["price"].quantile(0.75)
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    for price in df["price"]:
        away(float(price), float(high), 1.0, "a price near the upper fence")
    outliers = df[(df["price"] < low) | (df["price"] > high)]
    top = outliers.sort_values("price", ascending=False).iloc[0]
    return [
        ("outlier_count", str(len(outliers))),
        ("most_expensive_outlier", str(top["product_id"])),
    ]


def ratings(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [
        ("missing_ratings", str(int(df["rating"].isna().sum()))),
        ("median_rating", f"{df['rating'].median():.2f}"),
    ]


def east_growth(df: pd.DataFrame) -> list[tuple[str, str]]:
    east = df[df["region"] == "East"].sort_values("month")
    growth = east["revenue"].pct_change().to_numpy() * 100  # January: NaN, no growth
    best = int(np.nanargmax(growth))
    second = float(np.sort(growth[~np.isnan(growth)])[-2])
    away(float(growth[best]), second, 0.5, "gap to the second-best month")
    return [
        ("max_growth_month", str(east["month"].iloc[best])),
        ("max_growth_pct", rounded(float(growth[best]), 2, "growth")),
    ]


def weight_price_rank(df: pd.DataFrame) -> list[tuple[str, str]]:
    rho = float(df["weight_kg"].corr(df["price"], method="spearman"))
    return [("spearman_correlation", rounded(rho, 4, "rho"))]


SALES, PRODUCTS = "monthly_sales.csv", "products.csv"
TWO_DECIMALS = "rounded to two decimal places"
QUESTIONS = [
    Question(
        SALES, "easy", ["Summary Statistics"],
        "What are the mean and the standard deviation of the monthly revenue across all "
        "regions?",
        "Use every row. Use the sample standard deviation (ddof=1).",
        f'@mean_revenue[mean] @std_revenue[std] where "mean" and "std" are numbers {TWO_DECIMALS}.',
        mean_and_std,
    ),
    Question(
        SALES, "easy", ["Summary Statistics"],
        "Which region has the highest total revenue over the year, and what is that total?",
        "Sum revenue over all months of each region.",
        f'@top_region[region] @top_region_revenue[total] where "region" is the region name as '
        f'written in the data and "total" is a number {TWO_DECIMALS}.',
        top_region,
    ),
    Question(
        SALES, "medium", ["Correlation Analysis"],
        "Is there a linear relationship between advertising spend and revenue?",
        "Compute the Pearson correlation coefficient r between ad_spend and revenue over all "
        "rows. The relationship is strong if |r| >= 0.7, moderate if 0.4 <= |r| < 0.7 and "
        "weak otherwise.",
        '@correlation_coefficient[r] @relationship_strength[strength] where "r" is a number '
        'rounded to four decimal places and "strength" is one of strong, moderate, weak.',
        ad_correlation,
    ),
    Question(
        PRODUCTS, "medium", ["Distribution Analysis"],
        "How skewed is the distribution of product prices?",
        "Use the adjusted Fisher-Pearson sample skewness (pandas Series.skew) over all "
        "products.",
        '@price_skewness[skewness] @skew_direction[direction] where "skewness" is a number '
        'rounded to three decimal places and "direction" is positive or negative.',
        price_skew,
    ),
    Question(
        SALES, "medium", ["Distribution Analysis"],
        "Do the monthly units sold follow a normal distribution?",
        "Apply the Shapiro-Wilk test to the units column over all rows, at a significance "
        "level of 0.05: the units are normal when the p-value is greater than 0.05.",
        '@shapiro_p_value[p_value] @is_normal[answer] where "p_value" is a number rounded to '
        'four decimal places and "answer" is yes or no.',
        units_normality,
    ),
    Question(
        PRODUCTS, "medium", ["Feature Engineering", "Summary Statistics"],
        "Create a margin feature for each product and find the category with the highest "
        "average margin.",
        "margin = (price - cost) / price for each product; average it per category.",
        '@best_margin_category[category] @best_mean_margin[margin] where "category" is the '
        'category name as written in the data and "margin" is a number rounded to four '
        "decimal places.",
        best_margin,
    ),
    Question(
        PRODUCTS, "medium", ["Outlier Detection"],
        "Which products have outlying prices?",
        "Use the IQR rule: a price is an outlier when it is below Q1 - 1.5*IQR or above "
        "Q3 + 1.5*IQR, with quartiles by linear interpolation (pandas Series.quantile).",
        '@outlier_count[count] @most_expensive_outlier[product_id] where "count" is an integer '
        'and "product_id" is the id of the most expensive outlier.',
        price_outliers,
    ),
    Question(
        PRODUCTS, "easy", ["Comprehensive Data Preprocessing", "Summary Statistics"],
        "How many products have no rating, and what is the median rating of the others?",
        "Count empty rating values; compute the median over the non-missing ratings only.",
        f'@missing_ratings[count] @median_rating[median] where "count" is an integer and '
        f'"median" is a number {TWO_DECIMALS}.',
        ratings,
    ),
    Question(
        SALES, "hard", ["Feature Engineering", "Summary Statistics"],
        "In the East region, which month had the largest month-over-month revenue growth?",
        "Order the East rows by month; growth = (revenue - previous month's revenue) / "
        "previous month's revenue * 100. January has no growth.",
        '@max_growth_month[month] @max_growth_pct[growth] where "month" is written as YYYY-MM '
        f'and "growth" is the percentage {TWO_DECIMALS}.',
        east_growth,
    ),
    Question(
        PRODUCTS, "medium", ["Correlation Analysis"],
        "How strongly do product weight and price move together by rank?",
        "Compute the Spearman rank correlation between weight_kg and price over all products.",
        '@spearman_correlation[rho] where "rho" is a number rounded to four decimal places.',
        weight_price_rank,
    ),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    out: Path = parser.parse_args().out
    tables = out / TABLES
    tables.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    monthly_sales(rng).to_csv(tables / SALES, index=False)
    products(rng).to_csv(tables / PRODUCTS, index=False)

    frames = {name: pd.read_csv(tables / name) for name in (SALES, PRODUCTS)}
    with (
        (out / "threadlab-questions.jsonl").open("w", encoding="utf-8") as questions,
        (out / "threadlab-labels.jsonl").open("w", encoding="utf-8") as labels,
    ):
        for qid, q in enumerate(QUESTIONS):
            line = {
                "id": qid,
                "question": q.question,
                "concepts": q.concepts,
                "constraints": q.constraints,
                "format": q.format,
                "file_name": q.file_name,
                "level": q.level,
            }
            questions.write(json.dumps(line, ensure_ascii=False) + "\n")
            answers = [list(pair) for pair in q.answers(frames[q.file_name])]
            labels.write(json.dumps({"id": qid, "common_answers": answers}) + "\n")
    print(f"wrote {len(QUESTIONS)} questions and 2 tables to {out}")


if __name__ == "__main__":
    main()
