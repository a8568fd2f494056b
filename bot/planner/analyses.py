"""One builder per kind of analysis: the steps it needs and the answer sentences about them.

Builders return None (after recording a reason) when the dataset lacks what they need.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.models import (
    AggFunc,
    AggregateStep,
    ChartStep,
    CorrelateStep,
    DescribeStep,
    Freq,
    Metric,
    MissingStep,
    OutliersStep,
    ResampleStep,
    RFMStep,
    Step,
    TableStep,
    TopNStep,
)
from bot.planner.context import Block, Context, as_date
from bot.planner.intents import FREQ_ORDER, ChartRequest, TopN, Window
from bot.planner.metrics import MetricSpec
from bot.planner.templates import answer, number_spec
from bot.planner.wording import (
    FREQ_ADJECTIVE,
    FREQ_NOUN_ZH,
    FREQ_UNIT,
    OUTPUT_NAMES,
    capitalise,
    metric_name,
    metric_phrase,
    slug,
)

MAX_BAR_GROUPS = 30
MAX_CORRELATE = 12
_ZH_UNIT_SHORT: dict[Freq, str] = {
    "day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年",
}  # fmt: skip


def _is_date(ctx: Context, column: str | None) -> bool:
    return column is not None and ctx.columns.kind(column) == "datetime"


def _integer_like(ctx: Context, column: str | None, func: AggFunc) -> bool:
    if column is None or func in ("count", "nunique"):
        return True
    return func in ("sum", "min", "max") and ctx.columns.kind(column) == "integer"


def _few_groups(ctx: Context, column: str) -> bool:
    distinct = ctx.columns.column(column).distinct
    return distinct is not None and distinct <= MAX_BAR_GROUPS


# -- time series ------------------------------------------------------------------------


def auto_frequency(ctx: Context, date_column: str, window: Window | None) -> Freq:
    """A period that gives a readable line: days for weeks of data, months for years."""
    if window is not None:
        days = window.last * {"day": 1, "week": 7, "month": 30, "year": 365}[window.unit]
    else:
        profile = ctx.columns.column(date_column)
        first, last = as_date(profile.min), as_date(profile.max)
        days = (last - first).days if first and last else 365
    if days <= 62:
        return "day"
    if days <= 180:
        return "week"
    if days <= 8 * 366:
        return "month"
    return "year"


def _series_value(ctx: Context, metrics: list[MetricSpec]) -> tuple[str | None, AggFunc]:
    """What each period sums up: the measure the question names (每月订单数 adds up an
    orders column, or counts distinct order ids where there is none), else the amount
    column, else a count of rows."""
    for asked in metrics:
        profile = ctx.dataset.profile.column(asked.column) if asked.column else None
        if profile is None or profile.kind == "datetime":
            continue
        if asked.func == "nunique":
            return asked.column, "nunique"
        if profile.kind in ("integer", "number"):
            return asked.column, "sum" if asked.func == "count" else asked.func
    value = ctx.column_for("amount")
    return value, "sum" if value is not None else "count"


def time_series(
    ctx: Context,
    frequencies: list[Freq],
    window: Window | None,
    metrics: list[MetricSpec],
    chart: ChartRequest | None,
) -> Block | None:
    """Totals per period at each frequency asked for; a line chart of the finest one.

    "quarterly fluctuation … mark the peak month" resamples by month (charted, for the
    peak month) and by quarter (for the fluctuation), as the question asks for both.
    """
    date = ctx.column_for("date")
    if date is None:
        ctx.reason("no_date")
        return None
    value, func = _series_value(ctx, metrics)
    freqs = sorted(set(frequencies), key=FREQ_ORDER.index) or [auto_frequency(ctx, date, window)]
    lang = ctx.language
    steps: list[Step] = []
    outputs: dict[Freq, str] = {}
    metric = metric_phrase(func, value, False, lang)
    spec = number_spec(_integer_like(ctx, value, func))
    for i, freq in enumerate(freqs):
        output = ctx.output(OUTPUT_NAMES[freq], "series")
        outputs[freq] = output
        steps.append(
            ResampleStep(
                title=ctx.say(
                    "resample",
                    Freq=capitalise(FREQ_ADJECTIVE[lang][freq]),
                    freq=FREQ_ADJECTIVE[lang][freq],
                    metric=metric,
                ),
                output=output,
                date_column=date,
                freq=freq,
                value_column=value,
                func=func,
            )
        )
        if i == 0:
            steps.append(_trend_chart(ctx, output, freq, metric, value, chart))
    scope = _scope(ctx, window)
    parts: list[str] = []
    if len(freqs) == 1:
        parts += _single_series(ctx, freqs[0], outputs[freqs[0]], metric, spec, scope, func)
    else:
        coarsest = freqs[-1]
        parts.append(_series_sentence(ctx, coarsest, outputs[coarsest], metric, spec, scope))
        for freq in reversed(freqs[:-1]):
            parts.append(
                answer(
                    "resample_peak",
                    lang,
                    o=outputs[freq],
                    unit=FREQ_UNIT["en"][freq],
                    noun=FREQ_NOUN_ZH[freq],
                    spec=spec,
                )
            )
    return Block(steps, parts)


def _trend_chart(
    ctx: Context,
    output: str,
    freq: Freq,
    metric: str,
    value: str | None,
    chart: ChartRequest | None,
) -> ChartStep:
    lang = ctx.language
    what = f"{FREQ_ADJECTIVE[lang][freq]} {metric}" if lang == "en" else (
        FREQ_ADJECTIVE[lang][freq] + metric
    )  # fmt: skip
    kind: Literal["bar", "line"] = "bar" if chart == "bar" else "line"
    title = ctx.say("line", what=what)
    if kind == "bar":
        title = ctx.say("bar_rows", y=what)
    return ChartStep(
        title=title,
        chart=kind,
        source=output,
        # The resampled table has a "period" label column and the value column (named
        # "rows" / "行数" when rows are counted), as codegen writes it.
        x="period",
        y=value or ("rows" if lang == "en" else "行数"),
        label=value or metric,
        mark_peak=True,
        file=f"{output}.png",
    )


def _scope(ctx: Context, window: Window | None) -> str:
    if window is None:
        return ""
    if ctx.language == "en":
        unit = window.unit + ("s" if window.last != 1 else "")
        return f" over the last {window.last} {unit}"
    unit = {"day": "天", "week": "周", "month": "个月", "year": "年"}[window.unit]
    return f"过去{window.last}{unit}"


def _single_series(
    ctx: Context,
    freq: Freq,
    output: str,
    metric: str,
    spec: str,
    scope: str,
    func: AggFunc,
) -> list[str]:
    lang = ctx.language
    unit = FREQ_UNIT[lang][freq]
    parts = [
        answer(
            "resample",
            lang,
            o=output,
            Freq=capitalise(FREQ_ADJECTIVE[lang][freq]),
            freq=FREQ_ADJECTIVE[lang][freq],
            metric=metric,
            scope=scope,
            units=(unit + "s") if lang == "en" else unit,
            unit=unit if lang == "en" else _ZH_UNIT_SHORT[freq],
            spec=spec,
        )
    ]
    if func in ("sum", "count"):
        parts.append(answer("resample_total", lang, o=output, spec=spec))
    return parts


def _series_sentence(
    ctx: Context, freq: Freq, output: str, metric: str, spec: str, scope: str
) -> str:
    lang = ctx.language
    return answer(
        "resample_series",
        lang,
        o=output,
        Freq=capitalise(FREQ_ADJECTIVE["en"][freq]),
        metric=metric,
        scope=scope,
        unit=FREQ_UNIT["en"][freq],
        units=FREQ_UNIT["en"][freq] + "s",
        noun=FREQ_NOUN_ZH[freq],
        spec=spec,
    )


# -- groups -----------------------------------------------------------------------------


def _count_column(ctx: Context, groups: list[str]) -> str:
    """A column to count rows with: one that is never empty when there is one."""
    others = [c for c in ctx.columns.profile.columns if c.name not in groups]
    complete = [c.name for c in others if c.nulls == 0]
    return (complete or [c.name for c in others] or groups)[0]


def _metrics(ctx: Context, specs: list[MetricSpec], groups: list[str]) -> list[Metric]:
    metrics: list[Metric] = []
    used: set[str] = set()
    for spec in specs:
        is_date = _is_date(ctx, spec.column)
        name = metric_name(spec.func, spec.column, is_date, spec.label)
        while name in used or name in groups:
            name += "_"
        used.add(name)
        column = spec.column or _count_column(ctx, groups)
        metrics.append(Metric(column=column, func=spec.func, name=name))
    return metrics


def default_metrics(ctx: Context, count: bool) -> list[MetricSpec]:
    """No value named: count rows when asked to count, else total the amount column."""
    if not count:
        amount = ctx.column_for("amount")
        if amount is not None:
            return [MetricSpec(amount, "sum")]
    return [MetricSpec(None, "count")]


def aggregate(
    ctx: Context, groups: list[str], specs: list[MetricSpec], chart: ChartRequest | None
) -> Block:
    lang = ctx.language
    metrics = _metrics(ctx, specs, groups)
    output = ctx.output(f"by_{slug(groups[0])}" if slug(groups[0]) else "by_group", "by_group")
    first = specs[0]
    phrases = [metric_phrase(s.func, s.column, _is_date(ctx, s.column), lang) for s in specs]
    group_text = (" and " if lang == "en" else "和").join(ctx.name(g) for g in groups)
    title = ctx.say("aggregate", metrics=(", " if lang == "en" else "、").join(phrases),
                    groups=group_text)  # fmt: skip
    steps: list[Step] = [
        AggregateStep(
            title=capitalise(title),
            output=output,
            by=groups,
            metrics=metrics,
            sort_by=metrics[0].name,
        )
    ]
    numeric_first = not _is_date(ctx, first.column)
    if len(groups) == 1 and numeric_first:
        if _few_groups(ctx, groups[0]):
            steps.append(
                ChartStep(
                    title=ctx.say("bar", x=ctx.name(groups[0]), y=phrases[0]),
                    chart="bar",
                    source=output,
                    x=groups[0],
                    y=metrics[0].name,
                    label=metrics[0].name,
                    file=f"{output}.png",
                )
            )
        elif chart is not None:
            distinct = ctx.columns.column(groups[0]).distinct
            ctx.note("many_groups", column=groups[0], count=distinct if distinct else "?")
    spec = ""
    if numeric_first:
        spec = ":" + number_spec(_integer_like(ctx, first.column, first.func))
    sentence = answer("aggregate", lang, o=output, groups=group_text, metric=phrases[0], spec=spec)
    return Block(steps, [sentence])


def top_n(
    ctx: Context, top: TopN, column: str, group: str | None, chart: ChartRequest | None
) -> Block:
    lang = ctx.language
    output = ctx.output("top", "top")
    direction = {
        ("en", False): "top", ("en", True): "bottom", ("zh", False): "最高", ("zh", True): "最低",
    }[(lang, top.ascending)]  # fmt: skip
    metric = metric_phrase("sum", column, False, lang) if group else ctx.name(column)
    spec = number_spec(_integer_like(ctx, column, "sum"))
    slots = {
        "Dir": capitalise(direction), "dir": direction, "n": top.n, "column": ctx.name(column),
        "metric": metric, "group": ctx.name(group) if group else "",
    }  # fmt: skip
    key = "top_groups" if group else "top_rows"
    steps: list[Step] = [
        TopNStep(
            title=ctx.say(key, **slots),
            output=output,
            column=column,
            n=top.n,
            ascending=top.ascending,
            group_by=group,
        )
    ]
    label_column = group or _label_column(ctx)
    if (top.n > 1 or chart is not None) and label_column is not None:
        steps.append(
            ChartStep(
                title=ctx.say("bar_rows", y=ctx.say(key, **{**slots, "Dir": direction})),
                chart="bar",
                source=output,
                x=label_column,
                y=column,
                label=column,
                file=f"{output}.png",
            )
        )
    return Block(steps, [answer(key, lang, o=output, spec=spec, **slots)])


def _label_column(ctx: Context) -> str | None:
    """Bars of ranked rows are labelled by an identifier (else text) column, if any."""
    labels = ctx.columns.columns_of_kind("identifier") or ctx.columns.columns_of_kind("text")
    return labels[0] if labels else None


# -- distributions and statistics -------------------------------------------------------


def histogram(ctx: Context, column: str, bins: int | None) -> Block:
    lang = ctx.language
    stem = slug(column)
    stats = ctx.output(f"{stem}_stats" if stem else "stats", "stats")
    file = ctx.output(f"hist_{stem}" if stem else "hist", "hist")
    steps: list[Step] = [
        ChartStep(
            title=ctx.say("hist", column=ctx.name(column)),
            chart="hist",
            source="df",
            x=column,
            label=column,
            bins=bins if bins and bins >= 2 else 30,
            file=f"{file}.png",
        ),
        DescribeStep(
            title=ctx.say("describe_columns", columns=ctx.name(column)),
            output=stats,
            columns=[column],
        ),
    ]
    sentence = answer("hist", lang, column=ctx.name(column), rows=ctx.rows_fact)
    return Block(steps, [sentence])


def correlation(
    ctx: Context, named: list[str], matrix: bool, spearman: bool, chart: ChartRequest | None
) -> Block | None:
    lang = ctx.language
    if matrix or len(named) < 2:
        columns = ctx.columns.columns_of_kind("integer", "number")[:MAX_CORRELATE]
    else:
        columns = named[:MAX_CORRELATE]
    if len(columns) < 2:
        ctx.reason("few_numeric")
        return None
    method: Literal["pearson", "spearman"] = "spearman" if spearman else "pearson"
    method_name = {"en": method.capitalize(), "zh": "斯皮尔曼" if spearman else "皮尔逊"}[lang]
    output = ctx.output("correlation", "correlation")
    listed = (", " if lang == "en" else "、").join(ctx.name(c) for c in columns)
    steps: list[Step] = [
        CorrelateStep(
            title=ctx.say("correlate", Method=method_name, columns=listed),
            output=output,
            columns=columns,
            method=method,
        )
    ]
    if len(columns) == 2 and not matrix:
        if chart in ("scatter", "any"):
            steps.append(
                ChartStep(
                    title=ctx.say("scatter", x=ctx.name(columns[0]), y=ctx.name(columns[1])),
                    chart="scatter",
                    source="df",
                    x=columns[0],
                    y=columns[1],
                    label=columns[1],
                    file=f"{ctx.output('scatter', 'scatter')}.png",
                )
            )
        sentence = answer(
            "corr_pair",
            lang,
            o=output,
            method=method_name,
            a=ctx.name(columns[0]),
            b=ctx.name(columns[1]),
        )
        return Block(steps, [sentence])
    steps.append(
        ChartStep(
            title=ctx.say("heatmap"),
            chart="heatmap",
            source=output,
            file=f"{output}.png",
        )
    )
    return Block(steps, [answer("corr_matrix", lang, o=output, k=len(columns))])


def outliers(ctx: Context, columns: list[str], k: float) -> Block:
    steps: list[Step] = []
    parts: list[str] = []
    for column in columns:
        base = "outliers" if len(columns) == 1 or not slug(column) else f"outliers_{column}"
        output = ctx.output(base, "outliers")
        k_text = f"{k:g}"
        steps.append(
            OutliersStep(
                title=ctx.say("outliers", column=ctx.name(column), k=k_text),
                output=output,
                column=column,
                k=k,
            )
        )
        parts.append(answer("outliers", ctx.language, o=output, column=ctx.name(column),
                            k=k_text))  # fmt: skip
    return Block(steps, parts)


def describe(ctx: Context, columns: list[str] | None, with_missing: bool) -> Block:
    lang = ctx.language
    output = ctx.output("summary", "summary")
    title = (
        ctx.say("describe_columns", columns=(", " if lang == "en" else "、").join(columns))
        if columns
        else ctx.say("describe")
    )
    steps: list[Step] = [DescribeStep(title=title, output=output, columns=columns)]
    parts = [answer("describe", lang, rows=ctx.rows_fact)]
    if with_missing:
        missing_output = ctx.output("missing", "missing")
        steps.append(MissingStep(title=ctx.say("missing"), output=missing_output))
        parts.append(answer("missing", lang, o=missing_output))
    return Block(steps, parts)


def missing(ctx: Context) -> Block:
    output = ctx.output("missing", "missing")
    step = MissingStep(title=ctx.say("missing"), output=output)
    parts = [answer("rows", ctx.language, o=output), answer("missing", ctx.language, o=output)]
    return Block([step], parts)


def rfm(ctx: Context, bins: list[int]) -> Block | None:
    lang = ctx.language
    user = ctx.column_for("user")
    date = ctx.column_for("date")
    amount = ctx.column_for("amount")
    lacking = [
        role for role, column in (("user", user), ("date", date), ("amount", amount))
        if column is None
    ]  # fmt: skip
    if user is None or date is None or amount is None:
        names = {"en": {"user": "user", "date": "date", "amount": "amount"},
                 "zh": {"user": "用户", "date": "日期", "amount": "金额"}}[lang]  # fmt: skip
        ctx.reason("no_rfm", roles=(", " if lang == "en" else "、").join(names[r] for r in lacking))
        return None
    order = ctx.columns.named(ctx.free_mentions(), "order") or ctx.columns.fallback("order")
    if order == user:
        order = None
    latest = as_date(ctx.columns.column(date).max)
    if latest is None:
        ctx.reason("no_reference", column=date)
        return None
    reference = latest + dt.timedelta(days=1)
    count = min(max(bins[0], 2), 10) if bins else 5
    if len(set(bins)) > 1:
        ctx.note("bins_differ", bins=count)
    ctx.note("reference", reference=reference.isoformat(), column=date, latest=latest.isoformat())
    output = ctx.output("rfm", "rfm")
    step = RFMStep(
        title=ctx.say("rfm", user=ctx.name(user)),
        output=output,
        user_column=user,
        date_column=date,
        amount_column=amount,
        order_column=order,
        reference_date=reference,
        bins=count,
    )
    return Block([step], [answer("rfm", lang, o=output, bins=count)])


def filtered_table(ctx: Context, conditions: str) -> Block:
    output = ctx.output("filtered", "filtered")
    step = TableStep(title=ctx.say("table"), output=output)
    return Block([step], [answer("table", ctx.language, o=output, conditions=conditions)])


def sorted_table(ctx: Context, column: str, ascending: bool) -> Block:
    lang = ctx.language
    output = ctx.output("sorted", "sorted")
    step = TableStep(
        title=ctx.say("sorted", column=ctx.name(column)),
        output=output,
        sort_by=column,
        ascending=ascending,
    )
    order = {
        ("en", True): "lowest", ("en", False): "highest",
        ("zh", True): "升序", ("zh", False): "降序",
    }[(lang, ascending)]  # fmt: skip
    return Block([step], [answer("sorted", lang, o=output, column=ctx.name(column), order=order)])
