"""What the LLM is told, for planning, repairing and answering.

Every message is built from parts that are already masked (the Parquet cache holds
tokens, not personal data) and then passes `LlmBoundary.outgoing`, the one way out,
which masks again whatever still looks like PII or is a known raw value. The prompt
stays within a token budget: a wide table's columns are summarised rather than listed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from bot.codegen.facts import fact_suffixes
from bot.models import ColumnProfile, Dataset, Turn
from bot.pii.boundary import LlmBoundary

Message = dict[str, str]

# A rough count that errs high for Chinese text (about one token per character) and
# is close for English (about four characters per token).
CHARS_PER_TOKEN = 3
SAMPLE_ROWS = 5
DETAILED_COLUMNS = 40  # beyond this many columns, the rest are listed by name only
SAMPLE_COLUMNS = 20

# One line and one example per step kind: the whole vocabulary the planner may use.
VOCABULARY: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("load", "read the dataset; always the first step", {"kind": "load"}),
    (
        "filter",
        "keep rows where `column op value`; op is one of == != > >= < <= in, not in, "
        "contains, notnull",
        {"kind": "filter", "column": "amount", "op": ">=", "value": 5},
    ),
    (
        "window",
        "keep the last N days/weeks/months/years of a date column",
        {"kind": "window", "column": "date", "last": 12, "unit": "month"},
    ),
    (
        "derive",
        "a new column from a pandas `df.eval` expression",
        {"kind": "derive", "name": "margin", "expression": "revenue - cost"},
    ),
    (
        "aggregate",
        "group and aggregate (func: sum mean median min max count nunique)",
        {
            "kind": "aggregate",
            "output": "by_region",
            "by": ["region"],
            "metrics": [{"column": "amount", "func": "sum", "name": "total"}],
            "sort_by": "total",
        },
    ),
    (
        "resample",
        "a time series by day/week/month/quarter/year (value_column null counts rows)",
        {
            "kind": "resample",
            "output": "monthly",
            "date_column": "date",
            "freq": "month",
            "value_column": "amount",
            "func": "sum",
        },
    ),
    (
        "top_n",
        "the n largest rows by a column, or groups by sum(column) when group_by is set",
        {
            "kind": "top_n",
            "output": "top_products",
            "column": "amount",
            "n": 10,
            "group_by": "product",
        },
    ),
    (
        "pivot",
        "a pivot table",
        {
            "kind": "pivot",
            "output": "pivot",
            "index": "region",
            "columns": "month",
            "values": "amount",
        },
    ),
    ("describe", "shape, types and summary statistics", {"kind": "describe", "output": "summary"}),
    ("missing", "missing values per column", {"kind": "missing", "output": "missing"}),
    (
        "correlate",
        "a correlation matrix (pearson or spearman)",
        {"kind": "correlate", "output": "correlation", "columns": ["price", "quantity"]},
    ),
    (
        "outliers",
        "outliers by Tukey's fences (k times the IQR)",
        {"kind": "outliers", "output": "outliers", "column": "amount", "k": 1.5},
    ),
    (
        "rfm",
        "RFM segmentation with NTILE scores; recency counted to reference_date",
        {
            "kind": "rfm",
            "output": "rfm",
            "user_column": "user_id",
            "date_column": "date",
            "amount_column": "amount",
            "reference_date": "2026-01-01",
        },
    ),
    (
        "chart",
        "a PNG chart (line bar hist scatter heatmap) of a result (source = an output name) "
        "or of df",
        {
            "kind": "chart",
            "chart": "line",
            "source": "monthly",
            "x": "period",
            "y": "value",
            "mark_peak": True,
            "file": "monthly.png",
        },
    ),
    (
        "table",
        "show a table of df (optionally some columns, sorted)",
        {"kind": "table", "output": "rows", "columns": ["region", "amount"], "sort_by": "amount"},
    ),
    (
        "python",
        "code for anything else; it sees `df` (the working pandas DataFrame), `results` "
        "(dict of earlier outputs) and `facts` (dict); list in `facts` the names it sets; "
        "call tl.table(frame, name, title) to show a table. It loads every row into pandas: "
        "on tables of millions of rows prefer the other steps, which then run as DuckDB SQL",
        {
            "kind": "python",
            "code": "facts['median_gap'] = float(df['gap'].median())",
            "facts": ["median_gap"],
        },
    ),
    (
        "answer",
        "the reply: a Python format template over facts recorded by earlier steps",
        {"kind": "answer", "template": "Total sales were {by_region_top_value:,.2f}."},
    ),
)


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def _vocabulary() -> str:
    suffixes = fact_suffixes()
    lines = []
    for kind, what, example in VOCABULARY:
        facts = suffixes.get(kind)
        recorded = f" Records facts <output>_{{{','.join(facts)}}}." if facts else ""
        lines.append(
            f"- {kind}: {what}.{recorded}\n  e.g. {json.dumps(example, ensure_ascii=False)}"
        )
    return "\n".join(lines)


def _column_line(c: ColumnProfile) -> str:
    parts = [f"{c.name} ({c.kind}", f"nulls {c.nulls}"]
    if c.distinct is not None:
        parts.append(f"distinct {c.distinct}")
    if c.unique and c.nulls == 0:
        parts.append("unique")  # a key: counting its distinct values counts rows
    if c.min is not None and c.max is not None:
        parts.append(f"range {c.min} .. {c.max}")
    line = ", ".join(parts) + ")"
    if c.examples:
        line += " e.g. " + ", ".join(str(e) for e in c.examples[:3])
    return line


def describe_dataset(dataset: Dataset, sample: pd.DataFrame | None, budget_tokens: int) -> str:
    """Schema, profile and a few rows, within `budget_tokens`; wide tables summarised."""
    p = dataset.profile
    head = f"Dataset {dataset.name}: {p.rows} rows, {len(p.columns)} columns."
    masked = [m.column for m in dataset.masked if not m.free_text]
    if masked:
        head += (
            f" Columns {', '.join(masked)} hold personal data replaced by tokens "
            "(same value, same token): count and group them, never guess real values."
        )
    detailed = [_column_line(c) for c in p.columns[:DETAILED_COLUMNS]]
    rest = p.columns[DETAILED_COLUMNS:]
    lines = [head, "Columns:", *(f"- {d}" for d in detailed)]
    if rest:
        lines.append(f"- and {len(rest)} more: " + ", ".join(f"{c.name} ({c.kind})" for c in rest))
    text = "\n".join(lines)
    if estimate_tokens(text) > budget_tokens:
        # Still too long: names only, then a count by kind, until it fits.
        kinds = pd.Series([c.kind for c in p.columns]).value_counts().to_dict()
        names = ", ".join(c.name for c in p.columns)
        text = f"{head}\nColumn kinds: {kinds}.\nColumn names: {names}"
        if estimate_tokens(text) > budget_tokens:
            keep = budget_tokens * CHARS_PER_TOKEN - len(head) - 200
            text = f"{head}\nColumn kinds: {kinds}.\nColumn names (first ones): {names[:keep]}…"
    if sample is not None and not sample.empty:
        rows = sample.iloc[:SAMPLE_ROWS, :SAMPLE_COLUMNS].to_csv(index=False)
        if estimate_tokens(text + rows) <= budget_tokens:
            text += f"\nFirst rows (CSV):\n{rows}"
    return text


def _history(turns: Sequence[Turn]) -> str:
    if not turns:
        return ""
    lines = ["Earlier in this conversation:"]
    for t in turns:
        lines.append(f"- Q: {t.question}\n  Plan: {t.summary}\n  Result: {t.result}")
    return "\n".join(lines)


def plan_messages(
    question: str,
    dataset: Dataset,
    sample: pd.DataFrame | None,
    history: Sequence[Turn],
    boundary: LlmBoundary,
    budget_tokens: int,
) -> list[Message]:
    system = (
        "You are ThreadLab's analysis planner. Turn the user's question about one table "
        'into a JSON plan: {"question", "language" ("en" or "zh": the language of '
        'the question), "dataset" (the file name), "summary" (one line), "steps" (a '
        'list), "notes" (assumptions)}. Use these step kinds, in order, starting with '
        "load; reuse only column names that exist; name each result with `output`.\n"
        + _vocabulary()
        + "\nReply with the JSON object only. Write the summary, titles and answer in the "
        "language of the question."
    )
    user = boundary.outgoing(
        describe_dataset(dataset, sample, budget_tokens // 2),
        _history(history),
        f"Question: {question}",
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def reask_message(error: str, boundary: LlmBoundary) -> Message:
    return {
        "role": "user",
        "content": boundary.outgoing(
            f"That plan is not valid: {error}\nReply with the corrected JSON object only."
        ),
    }


def repair_messages(
    question: str, code: str, failure: str, hint: str, boundary: LlmBoundary
) -> list[Message]:
    system = (
        "You fix Python analysis code that failed in ThreadLab's sandbox (pandas, numpy, "
        "matplotlib with Agg, duckdb, scipy, scikit-learn, statsmodels; no network; write "
        "files only in the current directory). Keep what works, fix the error, and reply "
        "with the whole corrected program in one ```python block."
    )
    user = boundary.outgoing(
        f"Question: {question}",
        f"Code:\n```python\n{code}\n```",
        f"It failed: {failure}",
        hint,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def answer_messages(
    question: str, language: str, summary: str, results: str, boundary: LlmBoundary
) -> list[Message]:
    tongue = "Chinese" if language == "zh" else "English"
    system = (
        "You write the final answer to a data question from the analysis results given. "
        f"Answer in {tongue}, in a few sentences, with the key numbers; use only numbers "
        "from the results; keep tokens such as PHONE_… as they are. If the question asks "
        "for a format like @name[value], end with exactly that."
    )
    user = boundary.outgoing(f"Question: {question}", f"Analysis: {summary}", results)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
