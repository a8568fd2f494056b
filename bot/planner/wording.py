"""Words shown to people: step titles, notes and summaries, in English and Chinese.

Phrases carry `<slot>` placeholders filled by `render`. Slots are filled in one pass, so a
value that itself contains `<...>` (a condition like `amount < 5`) is never re-read.
"""

from __future__ import annotations

import re
from typing import Any

from bot.models import AggFunc, ColumnKind, Freq, Language
from bot.planner.language import has_cjk

_SLOT = re.compile(r"<([A-Za-z_0-9]+)>")


def escape_braces(text: str) -> str:
    """Literal text inside an answer template: str.format reads `{{` as `{`."""
    return text.replace("{", "{{").replace("}", "}}")


def render(phrase: str, language: Language, escape: bool = False, /, **slots: Any) -> str:
    """Fills `<slot>`s; positional parameters leave every name free for slots."""

    def fill(match: re.Match[str]) -> str:
        value = str(slots[match.group(1)])
        return escape_braces(value) if escape else value

    return tidy(_SLOT.sub(fill, phrase), language)


def tidy(text: str, language: Language) -> str:
    """One space between words; in Chinese none next to full-width punctuation."""
    text = re.sub(r"[ ]{2,}", " ", text)
    if language == "zh":
        text = re.sub(r" ?([，。；：、（）“”「」！？]) ?", r"\1", text)
    return text.strip()


def name(column: str, language: Language) -> str:
    """A column name inside a sentence: Chinese sentences space out Latin names."""
    if language == "zh" and not has_cjk(column):
        return f" {column} "
    return column


KIND_NAMES: dict[Language, dict[ColumnKind, str]] = {
    "en": {
        "integer": "integer", "number": "number", "text": "text",
        "identifier": "identifier", "datetime": "datetime", "boolean": "boolean",
    },
    "zh": {
        "integer": "整数", "number": "数值", "text": "文本",
        "identifier": "标识符", "datetime": "日期时间", "boolean": "布尔",
    },
}  # fmt: skip

FREQ_ADJECTIVE: dict[Language, dict[Freq, str]] = {
    "en": {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
           "year": "yearly"},
    "zh": {"day": "每日", "week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"},
}  # fmt: skip
FREQ_UNIT: dict[Language, dict[Freq, str]] = {
    "en": {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"},
    "zh": {"day": "天", "week": "周", "month": "个月", "quarter": "个季度", "year": "年"},
}
# The period noun in "峰值月份" / "峰值季度".
FREQ_NOUN_ZH: dict[Freq, str] = {
    "day": "日", "week": "周", "month": "月份", "quarter": "季度", "year": "年份",
}  # fmt: skip
OUTPUT_NAMES: dict[Freq, str] = {
    "day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
    "year": "yearly",
}  # fmt: skip


def metric_phrase(func: AggFunc, column: str | None, is_date: bool, language: Language) -> str:
    """ "total amount", "latest date", "平均销售额", "行数"."""
    if column is None:
        return "row count" if language == "en" else "行数"
    col = name(column, language)
    if language == "en":
        en = {
            "sum": f"total {col}", "mean": f"average {col}", "median": f"median {col}",
            "max": f"latest {col}" if is_date else f"highest {col}",
            "min": f"earliest {col}" if is_date else f"lowest {col}",
            "count": f"count of {col}", "nunique": f"distinct {col}",
        }  # fmt: skip
        return en[func]
    zh = {
        "sum": f"{col}合计", "mean": f"平均{col}", "median": f"{col}中位数",
        "max": f"最近{col}" if is_date else f"最大{col}",
        "min": f"最早{col}" if is_date else f"最小{col}",
        "count": f"{col}计数", "nunique": f"{col}去重数",
    }  # fmt: skip
    return zh[func]


def metric_name(func: AggFunc, column: str | None, is_date: bool, label: str | None = None) -> str:
    """The result column: total_amount, last_date, avg_sales; 销售额_合计 for Chinese names.

    Always a Python identifier: codegen passes metric names as keyword arguments.
    """
    if column is None:
        return "rows"
    stem = re.sub(r"\W+", "_", column).strip("_")
    if has_cjk(column) and stem and not stem[0].isdigit():
        zh = {
            "sum": "合计", "mean": "平均", "median": "中位数",
            "max": "最近" if is_date else "最大", "min": "最早" if is_date else "最小",
            "count": "计数", "nunique": "去重数",
        }  # fmt: skip
        return f"{stem}_{zh[func]}"
    prefix = {
        "sum": "total", "mean": "avg", "median": "median",
        "max": "last" if is_date else "max", "min": "first" if is_date else "min",
        "count": "count", "nunique": "distinct",
    }  # fmt: skip
    return f"{prefix[func]}_{label or slug(column) or 'value'}"


def slug(text: str) -> str:
    """An ASCII name for outputs and files ("" when nothing ASCII is left)."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", text.lower())).strip("_")


def condition_text(column: str, op: str, value: Any, language: Language) -> str:
    if op == "notnull":
        return f"{column} is not empty" if language == "en" else f"{column} 不为空"
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value)
        return f"{column} {op} [{shown}]"
    shown_op = "=" if op == "==" else op
    return f"{column} {shown_op} {value}"


TEXT: dict[str, dict[Language, str]] = {
    # step titles
    "load": {"en": "Load <file>", "zh": "读取 <file>"},
    "filter": {"en": "Keep rows where <condition>", "zh": "筛选 <condition> 的行"},
    "window": {"en": "Keep the last <n> <units> of <column>",
               "zh": "保留 <column> 最近<n><unit>的数据"},
    "resample": {"en": "<Freq> <metric>", "zh": "<freq><metric>"},
    "line": {"en": "Line chart of <what>, peak marked", "zh": "绘制<what>折线图并标注峰值"},
    "bar": {"en": "Bar chart of <y> by <x>", "zh": "绘制各<x>的<y>柱状图"},
    "bar_rows": {"en": "Bar chart: <y>", "zh": "绘制<y>柱状图"},
    "hist": {"en": "Histogram of <column>", "zh": "绘制<column>的直方图"},
    "heatmap": {"en": "Correlation heatmap", "zh": "绘制相关系数热力图"},
    "scatter": {"en": "Scatter plot of <y> against <x>", "zh": "绘制<x>与<y>的散点图"},
    "aggregate": {"en": "<metrics> by <groups>", "zh": "按<groups>汇总<metrics>"},
    "top_groups": {"en": "<Dir> <n> by <metric> per <group>", "zh": "<metric><dir>的<n>个<group>"},
    "top_rows": {"en": "<Dir> <n> rows by <column>", "zh": "<column><dir>的<n>行"},
    "describe": {"en": "Summary statistics", "zh": "描述统计"},
    "describe_columns": {"en": "Summary statistics of <columns>", "zh": "<columns>的描述统计"},
    "missing": {"en": "Row count and missing values", "zh": "行数与缺失值"},
    "correlate": {"en": "<Method> correlation of <columns>", "zh": "计算<columns>的相关系数"},
    "outliers": {"en": "Outliers in <column> (IQR, k = <k>)",
                 "zh": "找出<column>的异常值（IQR，k = <k>）"},
    "rfm": {"en": "RFM scores and segments per <user>", "zh": "按<user>计算 RFM 得分并分群"},
    "table": {"en": "Matching rows", "zh": "筛选结果明细"},
    "sorted": {"en": "Rows sorted by <column>", "zh": "按<column>排序"},
    "answer": {"en": "Answer", "zh": "回答"},
    # notes
    "assumed": {"en": "The question names no <role> column; using <column>.",
                "zh": "问题未指明<role>列，使用 <column>。"},
    "assumed_filter": {"en": "Read “<phrase>” as a condition on <column>.",
                       "zh": "将“<phrase>”理解为 <column> 的条件。"},
    "unplaced": {"en": "Could not tell which column “<phrase>” refers to; it was ignored.",
                 "zh": "无法判断“<phrase>”指的是哪一列，已忽略。"},
    "nothing_missing": {
        "en": "The data profile shows no missing values, so no rows are dropped for them.",
        "zh": "数据概况中没有缺失值，无需删除含空值的行。",
    },
    "window_note": {"en": "The last <n> <units> count back from the latest <column>.",
                    "zh": "最近<n><unit>从 <column> 的最新日期往前计算。"},
    "reference": {
        "en": "Recency is counted in days up to <reference>, the day after the latest "
              "<column> (<latest>).",
        "zh": "最近购买天数计算到 <reference>（<column> 最新日期 <latest> 的次日）。",
    },
    "bins_differ": {"en": "One number of bins applies to R, F and M; using <bins>.",
                    "zh": "R、F、M 使用同一分档数，取 <bins> 档。"},
    "pie": {"en": "Pie charts are not available; drawing a bar chart instead.",
            "zh": "暂不支持饼图，改为柱状图。"},
    "many_groups": {"en": "<column> has <count> distinct values, too many for a bar chart.",
                    "zh": "<column> 有 <count> 个不同取值，不适合画柱状图。"},
    "grouped_trend": {
        "en": "Trends per <group> are beyond the rules planner; showing the overall trend "
              "and the totals by <group>.",
        "zh": "规则规划器不支持按<group>分别画趋势，改为展示整体趋势和各<group>汇总。",
    },
    "ranked": {"en": "Ranking by <metric> lists every group, sorted from the top.",
               "zh": "按 <metric> 排名时列出全部分组，从高到低排序。"},
    # reasons a part of the question could not be planned
    "no_date": {"en": "A time trend needs a date column, and this table has none.",
                "zh": "时间趋势需要日期列，而这张表没有日期列。"},
    "no_value": {"en": "No numeric column to analyse was found.",
                 "zh": "没有找到可分析的数值列。"},
    "no_rfm": {"en": "RFM needs a user, a date and an amount column; missing: <roles>.",
               "zh": "RFM 需要用户、日期和金额三列，缺少：<roles>。"},
    "no_reference": {"en": "The latest <column> is unknown, so recency cannot be anchored.",
                     "zh": "<column> 的最新日期未知，无法计算最近购买天数。"},
    "few_numeric": {"en": "A correlation needs at least two numeric columns.",
                    "zh": "相关分析至少需要两个数值列。"},
    "no_group": {"en": "No column to group by was recognised.",
                 "zh": "没有识别出分组列。"},
}  # fmt: skip

ROLE_NAMES: dict[Language, dict[str, str]] = {
    "en": {"amount": "amount", "date": "date", "user": "user", "order": "order id"},
    "zh": {"amount": "金额", "date": "日期", "user": "用户", "order": "订单"},
}


def say(key: str, language: Language, **slots: Any) -> str:
    """A title or a note: plain text."""
    return render(TEXT[key][language], language, **slots)


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
