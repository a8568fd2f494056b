"""What to compute per group: "total spend and last purchase date" → sum(amount), max(date).

Each value column mentioned outside the groups becomes a metric; its function comes from
the words next to it in the same phrase (phrases split at "and", 和, commas), or from the
metric before it ("average sales and orders"), or from its kind (numbers add up, dates
take the latest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import AggFunc
from bot.planner.columns import ColumnResolver, Mention
from bot.planner.language import Query, has_cjk
from bot.planner.wording import slug


@dataclass(frozen=True)
class MetricSpec:
    column: str | None  # None: count rows
    func: AggFunc
    # How the question called a date column, for the result's name: "purchase date" of
    # `date` gives last_purchase_date rather than last_date.
    label: str | None = None


# Chinese qualifiers of a date word, so 最近购买日期 also names last_purchase_date.
_DATE_QUALIFIERS = {
    "购买": "purchase", "下单": "order", "交易": "transaction", "注册": "signup",
    "支付": "payment", "订单": "order", "消费": "purchase",
}  # fmt: skip


def _date_label(column: str, said: str) -> str | None:
    if has_cjk(column):
        return None
    if has_cjk(said):
        for word, english in _DATE_QUALIFIERS.items():
            if said.startswith(word) and said != word:
                return f"{english}_{slug(column)}"
        return None
    spoken, own = slug(said), slug(column)
    if spoken != own and own in spoken.split("_"):
        return spoken
    return None


_SEPARATOR = re.compile(r"[,;、，；]|\band\b|\bas well as\b|以及|和|及|与|并且|并|&")
_FUNC_WORDS: list[tuple[AggFunc, str]] = [
    ("mean", r"\baverage\b|\bavg\b|\bmean\b|平均|均值|人均"),
    ("median", r"\bmedian\b|中位数"),
    ("nunique", r"\bdistinct\b|\bunique\b|不同|去重|独立"),
    ("count", r"\bcount\b|\bnumber of\b|\bhow many\b|次数|频次|个数|笔数|数量|多少"),
    (
        "max",
        r"\bmax(?:imum)?\b|\bhighest\b|\blargest\b|\bbiggest\b|\blatest\b|\blast\b|"
        r"\bmost recent\b|\bnewest\b|\brecent\b|最大|最高|最近|最新|最晚|最后|末次",
    ),
    (
        "min",
        r"\bmin(?:imum)?\b|\blowest\b|\bsmallest\b|\bearliest\b|\bfirst\b|\boldest\b|"
        r"最小|最低|最早|首次|第一次",
    ),
    ("sum", r"\btotal\b|\bsum\b|\bsums\b|\boverall\b|总额|总计|合计|总和|累计|总"),
]
# Counting words written into a column mention: 订单数 is a count of orders.
_COUNT_MENTIONS = ("订单数", "订单量", "交易笔数", "单数", "笔数")
_DATE_FUNCS: tuple[AggFunc, ...] = ("max", "min", "count", "nunique")


def _segment(text: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for match in _SEPARATOR.finditer(text, 0, start):
        left = match.end()
    right_match = _SEPARATOR.search(text, end)
    return left, right_match.start() if right_match else len(text)


def _nearest_func(text: str, start: int, end: int) -> AggFunc | None:
    left, right = _segment(text, start, end)
    best: tuple[int, AggFunc] | None = None
    for func, pattern in _FUNC_WORDS:
        for match in re.finditer(pattern, text[left:right]):
            m_start, m_end = match.start() + left, match.end() + left
            distance = start - m_end if m_end <= start else max(m_start - end, 0)
            if best is None or distance < best[0]:
                best = (distance, func)
    return best[1] if best else None


def read_metrics(
    query: Query, mentions: list[Mention], columns: ColumnResolver, groups: list[str]
) -> list[MetricSpec]:
    """Metrics for an aggregate, in the order the question names them."""
    free = query.free
    metrics: list[MetricSpec] = []
    last_numeric: AggFunc | None = None
    for mention in mentions:
        if not query.is_free(mention.start, mention.end):
            continue
        func = _nearest_func(free, mention.start, mention.end)
        numeric = columns.pick(mention, "numeric")
        date = columns.pick(mention, "date")
        if numeric is not None and numeric not in groups:
            if func is None:
                func = last_numeric or "sum"
            if func == "count" and columns.kind(numeric) == "integer":
                # "订单数" names an integer column of counts: counting it is adding it up.
                func = "sum"
            metrics.append(MetricSpec(numeric, func))
            last_numeric = func
        elif date is not None and date not in groups:
            label = _date_label(date, query.low[mention.start : mention.end])
            metrics.append(MetricSpec(date, func if func in _DATE_FUNCS else "max", label))
        else:
            counted = columns.pick(mention, "order")
            text = query.low[mention.start : mention.end]
            if counted is None or counted in groups:
                continue
            if text in _COUNT_MENTIONS or func in ("count", "nunique", "sum"):
                metrics.append(MetricSpec(counted, "nunique"))
    unique = list(dict.fromkeys(metrics))
    return unique
