"""Answer templates per intent and language.

A template is formatted later with `str.format(**facts)`, the facts being what the
generated code of earlier steps recorded (`facts.py` lists them). Here `<slot>`s are filled
at planning time (output names, column names, format specs); `{fact}` stays for run time.
Slot values are brace-escaped, so a column called `a{b}` cannot break the format.
"""

from __future__ import annotations

from typing import Any

from bot.models import Language
from bot.planner.wording import render

ANSWERS: dict[str, dict[Language, str]] = {
    "filtered": {
        "en": "After filtering (<conditions>), {rows_kept:,} of {rows_loaded:,} rows remain "
              "({rows_removed:,} removed).",
        "zh": "筛选（<conditions>）后保留 {rows_kept:,} 行（共 {rows_loaded:,} 行，"
              "去掉 {rows_removed:,} 行）。",
    },
    "table": {
        "en": "{<o>_rows:,} of {rows_loaded:,} rows match <conditions> ({rows_removed:,} "
              "removed); they are listed in the table.",
        "zh": "符合 <conditions> 的有 {<o>_rows:,} 行（共 {rows_loaded:,} 行，"
              "去掉 {rows_removed:,} 行），明细见表格。",
    },
    "sorted": {
        "en": "{<o>_rows:,} rows sorted by <column>, <order> first.",
        "zh": "共 {<o>_rows:,} 行，已按 <column> <order>排序。",
    },
    "resample": {
        "en": "<Freq> <metric><scope>: {<o>_periods} <units> from {<o>_first_period} to "
              "{<o>_last_period}. The highest is {<o>_peak_period} ({<o>_peak_value:<spec>}) "
              "and the lowest {<o>_low_period} ({<o>_low_value:<spec>}); mean per <unit> "
              "{<o>_mean:<spec>}, coefficient of variation {<o>_cv_pct:.1f}%.",
        "zh": "<scope><freq><metric>：共 {<o>_periods} <units>（{<o>_first_period} 至 "
              "{<o>_last_period}），最高为 {<o>_peak_period}（{<o>_peak_value:<spec>}），"
              "最低为 {<o>_low_period}（{<o>_low_value:<spec>}），平均每<unit> "
              "{<o>_mean:<spec>}，波动系数 {<o>_cv_pct:.1f}%。",
    },
    "resample_total": {
        "en": "The total is {<o>_total:<spec>}.",
        "zh": "合计 {<o>_total:<spec>}。",
    },
    "resample_series": {
        "en": "<Freq> <metric><scope>: {<o>_series}. The peak <unit> is {<o>_peak_period} "
              "({<o>_peak_value:<spec>}) and the lowest is {<o>_low_period} "
              "({<o>_low_value:<spec>}); the coefficient of variation across <units> is "
              "{<o>_cv_pct:.1f}%.",
        "zh": "<scope>各<noun><metric>：{<o>_series}。峰值<noun>为 {<o>_peak_period}"
              "（{<o>_peak_value:<spec>}），最低为 {<o>_low_period}（{<o>_low_value:<spec>}），"
              "<noun>间波动系数 {<o>_cv_pct:.1f}%。",
    },
    "resample_peak": {
        "en": "The peak <unit> is {<o>_peak_period} ({<o>_peak_value:<spec>}); the lowest "
              "is {<o>_low_period} ({<o>_low_value:<spec>}).",
        "zh": "峰值<noun>为 {<o>_peak_period}（{<o>_peak_value:<spec>}），最低<noun>为 "
              "{<o>_low_period}（{<o>_low_value:<spec>}）。",
    },
    "aggregate": {
        "en": "{<o>_groups:,} groups by <groups>; ranked by <metric>, the first is "
              "{<o>_top_group} ({<o>_top_value<spec>}).",
        "zh": "按<groups>共 {<o>_groups:,} 组；按<metric>排序，排名第一的是 {<o>_top_group}"
              "（{<o>_top_value<spec>}）。",
    },
    "top_groups": {
        "en": "<Dir> <n> by <metric> per <group>: {<o>_first_label} comes first with "
              "{<o>_first_value:<spec>} ({<o>_count} listed).",
        "zh": "<metric><dir>的<group>中，排名第一的是 {<o>_first_label}"
              "（{<o>_first_value:<spec>}），共列出 {<o>_count} 个。",
    },
    "top_rows": {
        "en": "<Dir> <n> rows by <column>: the first has {<o>_first_value:<spec>} "
              "({<o>_first_label}).",
        "zh": "<column><dir>的 {<o>_count} 行中，排名第一的是 {<o>_first_value:<spec>}"
              "（{<o>_first_label}）。",
    },
    "hist": {
        "en": "The histogram shows how <column> is spread over {<rows>:,} rows; the table "
              "lists its mean, quartiles and range.",
        "zh": "直方图展示了<column>在 {<rows>:,} 行中的分布，统计表列出均值、四分位数和范围。",
    },
    "corr_pair": {
        "en": "The <method> correlation between <a> and <b> is {<o>_r:.2f}.",
        "zh": "<a>与<b>的<method>相关系数为 {<o>_r:.2f}。",
    },
    "corr_matrix": {
        "en": "Across <k> numeric columns the strongest correlation is {<o>_strongest_pair} "
              "(r = {<o>_strongest_r:.2f}).",
        "zh": "在 <k> 个数值列中，相关性最强的是 {<o>_strongest_pair}"
              "（r = {<o>_strongest_r:.2f}）。",
    },
    "outliers": {
        "en": "<column> has {<o>_count:,} outliers ({<o>_share_pct:.1f}% of rows) outside "
              "[{<o>_lower:,.2f}, {<o>_upper:,.2f}] (Q1 {<o>_q1:,.2f}, Q3 {<o>_q3:,.2f}, "
              "k = <k>).",
        "zh": "<column>有 {<o>_count:,} 个异常值（占 {<o>_share_pct:.1f}%），正常范围 "
              "[{<o>_lower:,.2f}, {<o>_upper:,.2f}]（Q1 {<o>_q1:,.2f}，Q3 {<o>_q3:,.2f}，"
              "k = <k>）。",
    },
    "rfm": {
        "en": "RFM scores for {<o>_users:,} users (<bins> bins each; recency counted to "
              "{<o>_reference_date}). The largest segment is {<o>_top_segment} with "
              "{<o>_top_segment_users:,} users. Segment sizes: {<o>_segment_counts}.",
        "zh": "已为 {<o>_users:,} 位用户计算 RFM 得分（每项分 <bins> 档，最近购买天数计算到 "
              "{<o>_reference_date}）。人数最多的分群是「{<o>_top_segment}」，共 "
              "{<o>_top_segment_users:,} 人。各分群人数：{<o>_segment_counts}。",
    },
    "describe": {
        "en": "The data has {<rows>:,} rows and {column_count} columns; the summary table "
              "lists each column's type, range and averages.",
        "zh": "数据共 {<rows>:,} 行、{column_count} 列；统计表列出每列的类型、范围和均值。",
    },
    "rows": {
        "en": "The table has {<o>_rows:,} rows and {column_count} columns.",
        "zh": "数据共 {<o>_rows:,} 行、{column_count} 列。",
    },
    "missing": {
        "en": "{<o>_missing_total:,} values are missing across {<o>_columns_with_missing} "
              "columns ({<o>_missing_list}).",
        "zh": "缺失值共 {<o>_missing_total:,} 个，涉及 {<o>_columns_with_missing} 列"
              "（{<o>_missing_list}）。",
    },
    "not_understood": {
        "en": "I could not turn this question into an analysis of <dataset>. <understood> "
              "Columns I can use: <columns>. Try, for example: <examples>.",
        "zh": "我没能把这个问题转换成对 <dataset> 的分析。<understood>可以使用的列："
              "<columns>。可以这样问：<examples>。",
    },
    "recognised": {
        "en": "I recognised <pieces>, but not enough to plan it.",
        "zh": "我识别出了<pieces>，但还不足以制定分析计划。",
    },
    "nothing_recognised": {
        "en": "I did not recognise an analysis in it (a trend, a total per group, a top-N, "
              "a distribution, a correlation, outliers, RFM or a filter).",
        "zh": "没有识别出要做的分析（趋势、分组汇总、排名、分布、相关性、异常值、RFM 或筛选）。",
    },
}  # fmt: skip


def answer(key: str, language: Language, **slots: Any) -> str:
    """One answer fragment, its slots filled and brace-escaped."""
    return render(ANSWERS[key][language], language, True, **slots)


def phrase(key: str, language: Language, **slots: Any) -> str:
    """A fragment as plain text, to be passed as a slot of another template."""
    return render(ANSWERS[key][language], language, **slots)


def join(parts: list[str], language: Language) -> str:
    """Fragments in reading order: English sentences take a space, Chinese ones none."""
    return ("" if language == "zh" else " ").join(p for p in parts if p)


def number_spec(integer_like: bool) -> str:
    """Counts and integer totals print without decimals; the rest with two."""
    return ",.0f" if integer_like else ",.2f"
