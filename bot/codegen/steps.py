"""One renderer per plan step kind. Each writes the body of that step's `with` block."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.codegen import helpers
from bot.codegen.context import RenderContext
from bot.codegen.source import Source
from bot.models import (
    AggregateStep,
    AnswerStep,
    ChartStep,
    CorrelateStep,
    DeriveStep,
    DescribeStep,
    FilterStep,
    LoadStep,
    MissingStep,
    OutliersStep,
    PivotStep,
    PythonStep,
    ResampleStep,
    RFMStep,
    Step,
    TableStep,
    TopNStep,
    WindowStep,
)

_DATE_LITERAL = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")
PANDAS_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def _literal(value: Any) -> str:
    """A Python literal for a filter value; ISO date strings compare as timestamps."""
    if isinstance(value, str) and _DATE_LITERAL.match(value):
        return f"pd.Timestamp({value!r})"
    return repr(value)


def _record_filter_facts(src: Source) -> None:
    src.line('facts["rows_kept"] = len(df)')
    src.line('facts["rows_removed"] = facts["rows_loaded"] - len(df)')


def render_load(step: LoadStep, src: Source, ctx: RenderContext) -> None:
    columns = f", columns={step.columns!r}" if step.columns else ""
    src.lines(
        f"df = pd.read_parquet(DATA{columns})",
        'facts["rows_loaded"] = len(df)',
        'facts["column_count"] = df.shape[1]',
        'print(f"Loaded {len(df):,} rows x {df.shape[1]} columns from {DATA}")',
    )


def render_filter(step: FilterStep, src: Source, ctx: RenderContext) -> None:
    column = f"df[{step.column!r}]"
    if step.op in {"==", "!=", ">", ">=", "<", "<="}:
        condition = f"{column} {step.op} {_literal(step.value)}"
    elif step.op == "in":
        condition = f"{column}.isin({list(step.value)!r})"
    elif step.op == "not in":
        condition = f"~{column}.isin({list(step.value)!r})"
    elif step.op == "contains":
        condition = f"{column}.astype(str).str.contains({str(step.value)!r}, regex=False)"
    else:  # notnull
        condition = f"{column}.notna()"
    src.lines(
        "before = len(df)",
        f"df = df[{condition}]",
        f'print(f"Kept {{len(df):,}} of {{before:,}} rows where {_describe_filter(step)}")',
    )
    _record_filter_facts(src)


def _describe_filter(step: FilterStep) -> str:
    text = f"{step.column} {step.op}" + ("" if step.op == "notnull" else f" {step.value}")
    return text.replace("{", "{{").replace("}", "}}").replace('"', "'")


def render_window(step: WindowStep, src: Source, ctx: RenderContext) -> None:
    freq = PANDAS_FREQ[step.unit]
    src.comment(
        f"Keep the last {step.last} calendar {step.unit}(s), counted back from the latest "
        "date in the data (the latest period counts as one, even when partial)."
    )
    src.lines(
        f"latest = df[{step.column!r}].max()",
        f'start = (latest.to_period("{freq}") - {step.last - 1}).start_time',
        "before = len(df)",
        f"df = df[df[{step.column!r}] >= start]",
        'print(f"Kept {len(df):,} of {before:,} rows from {start.date()} to {latest.date()}")',
    )
    _record_filter_facts(src)


def render_derive(step: DeriveStep, src: Source, ctx: RenderContext) -> None:
    src.line(f"df[{step.name!r}] = df.eval({step.expression!r})")


def render_table(step: TableStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    expr = "df" if not step.columns else f"df[{step.columns!r}]"
    if step.sort_by:
        expr += f'.sort_values({step.sort_by!r}, ascending={step.ascending}, kind="mergesort")'
    src.lines(
        f"{var} = {expr}",
        f'facts["{step.output}_rows"] = len({var})',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_aggregate(step: AggregateStep, src: Source, ctx: RenderContext) -> None:
    ctx.need(helpers.FACT_VALUE)
    var = ctx.variable(step.output)
    src.line(f"{var} = (")
    src.line(f"    df.groupby({step.by!r}, dropna=False)")
    src.line("    .agg(")
    for metric in step.metrics:
        src.line(f"        {metric.name}=({metric.column!r}, {metric.func!r}),")
    src.line("    )")
    src.line("    .reset_index()")
    src.line(")")
    aggregate_results(step, var, src)


def aggregate_results(step: AggregateStep, var: str, src: Source) -> None:
    """Sorts the groups in `var`, records the facts and reports the table (both engines)."""
    sort_by = step.sort_by or step.metrics[0].name
    src.lines(
        f'{var} = {var}.sort_values({sort_by!r}, ascending=False, kind="mergesort")',
        f'facts["{step.output}_groups"] = len({var})',
    )
    with src.block(f"if len({var}):"):
        src.lines(
            f"top = {var}.iloc[0]",
            f'facts["{step.output}_top_group"] = " / ".join(str(top[c]) for c in {step.by!r})',
            f'facts["{step.output}_top_value"] = fact_value(top[{sort_by!r}])',
        )
    src.line(f"tl.table({var}, {step.output!r}, {step.title!r})")


def render_resample(step: ResampleStep, src: Source, ctx: RenderContext) -> None:
    freq = PANDAS_FREQ[step.freq]
    src.lines(f'period = df[{step.date_column!r}].dt.to_period("{freq}")')
    if step.value_column is None:
        src.line("series = df.groupby(period).size()")
    else:
        src.line(f"series = df.groupby(period)[{step.value_column!r}].{step.func}()")
    if is_additive(step):
        src.lines(
            f"first_day = df[{step.date_column!r}].min().normalize()",
            f"last_day = df[{step.date_column!r}].max().normalize()",
        )
    resample_results(step, src, ctx)


def is_additive(step: ResampleStep) -> bool:
    """Totals and counts: a missing period is a zero, and a partial one is not comparable."""
    return step.func in {"sum", "count", "nunique"} or step.value_column is None


def resample_results(step: ResampleStep, src: Source, ctx: RenderContext) -> None:
    """From `series` (values by pandas Period) and, when additive, `first_day` and
    `last_day` of the data: the result table, its facts and its report (both engines)."""
    ctx.need(helpers.PERIOD_LABELS)
    var = ctx.variable(step.output)
    freq = PANDAS_FREQ[step.freq]
    value = step.value_column or ctx.say("rows", "行数")
    additive = is_additive(step)
    if additive:
        src.comment("Periods with no rows count as zero, so gaps show in the series.")
        src.line(
            "series = series.reindex(pd.period_range(series.index.min(), series.index.max(), "
            f'freq="{freq}"), fill_value=0)'
        )
    src.line(
        f'{var} = pd.DataFrame({{"period": period_labels(series.index), '
        f"{value!r}: series.to_numpy()}})"
    )
    if additive:
        src.comment(
            "A period the data covers only in part (the data or the window starts or ends "
            "inside it) has a total that is not comparable with whole periods."
        )
        src.lines(
            "whole = (series.index.start_time >= first_day) & "
            "(series.index.end_time.normalize() <= last_day)",
            f'{var}["complete"] = whole',
        )
    if step.record_facts:
        _record_resample_facts(step, var, value, additive, src, ctx)
    src.line(f"tl.table({var}, {step.output!r}, {step.title!r})")


def _record_resample_facts(
    step: ResampleStep, var: str, value: str, additive: bool, src: Source, ctx: RenderContext
) -> None:
    o = step.output
    if additive:
        src.comment("Peak, low and variation compare whole periods when there are two or more.")
        src.line(f"compared = {var}[whole] if whole.sum() >= 2 else {var}")
        note = ctx.say(
            "Note: {periods} {verb} only partly covered by the data; {their} totals are not "
            "comparable with whole periods, so the peak, low and variation leave {them} out.",
            "注意：{periods} 只有部分时间有数据，其合计不能与完整周期直接比较，"
            "峰值、最低值和波动只比较完整周期。",
        )
        with src.block("if not whole.all():"):
            src.lines(
                "plural = (~whole).sum() > 1",
                f"notes.append({note!r}.format(",
                f'    periods=", ".join({var}.loc[~whole, "period"]),',
                '    verb="are" if plural else "is",',
                '    their="their" if plural else "its",',
                '    them="them" if plural else "it",',
                "))",
            )
    else:
        src.line(f"compared = {var}")
    src.lines(
        f"values = compared[{value!r}]",
        f'facts["{o}_periods"] = len({var})',
        f'facts["{o}_first_period"] = {var}["period"].iloc[0]',
        f'facts["{o}_last_period"] = {var}["period"].iloc[-1]',
        f'facts["{o}_peak_period"] = compared["period"].iloc[int(values.to_numpy().argmax())]',
        f'facts["{o}_peak_value"] = float(values.max())',
        f'facts["{o}_low_period"] = compared["period"].iloc[int(values.to_numpy().argmin())]',
        f'facts["{o}_low_value"] = float(values.min())',
        f'facts["{o}_total"] = float({var}[{value!r}].sum())',
        f'facts["{o}_mean"] = float(values.mean())',
    )
    src.comment("Coefficient of variation: population std / mean, in percent.")
    src.lines(
        f'facts["{o}_cv_pct"] = float(values.std(ddof=0) / values.mean() * 100) '
        "if values.mean() else 0.0",
        f'facts["{o}_series"] = "; ".join(',
        f'    f"{{p}}: {{v:,.2f}}" for p, v in zip({var}["period"], {var}[{value!r}], strict=True)',
        ")",
    )


def render_top_n(step: TopNStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    pick = "nsmallest" if step.ascending else "nlargest"
    if step.group_by:
        src.lines(
            f"totals = df.groupby({step.group_by!r})[{step.column!r}].sum()",
            f"{var} = totals.{pick}({step.n}).reset_index()",
        )
    else:
        src.line(f"{var} = df.{pick}({step.n}, {step.column!r})")
    top_n_results(step, var, src)


def top_n_results(step: TopNStep, var: str, src: Source) -> None:
    """Labels the first of the ranked rows or groups in `var`, records the facts and
    reports the table (both engines)."""
    o = step.output
    if step.group_by:
        src.line(
            f'facts["{o}_first_label"] = str({var}[{step.group_by!r}].iloc[0]) '
            f'if len({var}) else "-"'
        )
    else:
        src.lines(
            "# Label the top row by its first text column, if it has one.",
            f'labels = [c for c in {var}.columns if {var}[c].dtype == "object" '
            f'or str({var}[c].dtype).startswith("str")]',
            f'facts["{o}_first_label"] = str({var}[labels[0]].iloc[0]) '
            f'if labels and len({var}) else "1"',
        )
    src.lines(
        f'facts["{o}_count"] = len({var})',
        f'facts["{o}_first_value"] = float({var}[{step.column!r}].iloc[0]) if len({var}) else 0.0',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_pivot(step: PivotStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    src.lines(
        f"{var} = pd.pivot_table(",
        f"    df, index={step.index!r}, columns={step.columns!r}, values={step.values!r},",
        f"    aggfunc={step.func!r}, fill_value=0,",
        ").reset_index()",
        f"{var}.columns = [str(c) for c in {var}.columns]",
        f'facts["{step.output}_rows"] = len({var})',
        f'facts["{step.output}_columns"] = {var}.shape[1] - 1',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_describe(step: DescribeStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    frame = "df" if not step.columns else f"df[{step.columns!r}]"
    src.lines(
        f"frame = {frame}",
        f'{var} = frame.describe(include="all").T.reset_index(names="column")',
        f'{var}.insert(1, "dtype", [str(frame[c].dtype) for c in {var}["column"]])',
        f'{var}.insert(2, "missing", [int(frame[c].isna().sum()) for c in {var}["column"]])',
        f'facts["{step.output}_rows"] = len(frame)',
        f'facts["{step.output}_columns"] = frame.shape[1]',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_missing(step: MissingStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    o = step.output
    src.lines(
        "counts = df.isna().sum()",
        f"{var} = pd.DataFrame({{",
        '    "column": [str(c) for c in df.columns],',
        '    "dtype": [str(t) for t in df.dtypes],',
        '    "missing": counts.to_numpy(),',
        '    "missing_pct": (counts / max(len(df), 1) * 100).round(2).to_numpy(),',
        "})",
        f'facts["{o}_rows"] = len(df)',
        f'facts["{o}_missing_total"] = int(counts.sum())',
        f'facts["{o}_columns_with_missing"] = int((counts > 0).sum())',
        f'facts["{o}_missing_list"] = ", ".join(',
        '    f"{c}: {n}" for c, n in counts.items() if n > 0',
        ') or "-"',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_correlate(step: CorrelateStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    o = step.output
    src.lines(
        f'numeric = df[{step.columns!r}].apply(pd.to_numeric, errors="coerce")',
        f'matrix = numeric.corr(method="{step.method}")',
        f'{var} = matrix.round(4).reset_index(names="column")',
        f'facts["{o}_r"] = float(matrix.iloc[0, 1])',
        "# The strongest pair is the largest |r| off the diagonal.",
        "pairs = [",
        "    (abs(matrix.iloc[i, j]), matrix.columns[i], matrix.columns[j], matrix.iloc[i, j])",
        "    for i in range(len(matrix.columns))",
        "    for j in range(i + 1, len(matrix.columns))",
        "    if pd.notna(matrix.iloc[i, j])",
        "]",
        'strongest = max(pairs, key=lambda p: p[0]) if pairs else (0.0, "-", "-", 0.0)',
        f'facts["{o}_strongest_pair"] = f"{{strongest[1]}} ~ {{strongest[2]}}"',
        f'facts["{o}_strongest_r"] = float(strongest[3])',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_outliers(step: OutliersStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    o = step.output
    src.comment(f"Tukey's fences: outside [Q1 - {step.k} x IQR, Q3 + {step.k} x IQR].")
    src.lines(
        f'values = pd.to_numeric(df[{step.column!r}], errors="coerce")',
        "q1, q3 = values.quantile(0.25), values.quantile(0.75)",
        f"lower, upper = q1 - {step.k} * (q3 - q1), q3 + {step.k} * (q3 - q1)",
        "is_outlier = (values < lower) | (values > upper)",
        f'{var} = df[is_outlier].sort_values({step.column!r}, ascending=False, kind="mergesort")',
        f'facts["{o}_count"] = int(is_outlier.sum())',
        f'facts["{o}_share_pct"] = float(is_outlier.mean() * 100) if len(df) else 0.0',
        f'facts["{o}_lower"], facts["{o}_upper"] = float(lower), float(upper)',
        f'facts["{o}_q1"], facts["{o}_q3"] = float(q1), float(q3)',
        f"tl.table({var}, {step.output!r}, {step.title!r})",
    )


def render_rfm(step: RFMStep, src: Source, ctx: RenderContext) -> None:
    ctx.need(helpers.NTILE)
    ctx.need(helpers.RFM_SEGMENT)
    var = ctx.variable(step.output)
    o = step.output
    user = step.user_column
    src.comment(
        f"Recency: days from a user's last purchase to {step.reference_date.isoformat()} "
        "(the reference date the plan states)."
    )
    if step.order_column:
        src.comment(f"Frequency: the number of distinct orders ({step.order_column}).")
        frequency = f'frequency=({step.order_column!r}, "nunique")'
    else:
        src.comment("Frequency: the number of purchases (rows).")
        frequency = f'frequency=({step.date_column!r}, "size")'
    src.comment(f"Monetary: the total of {step.amount_column}.")
    src.comment(
        f"Each is scored 1-{step.bins} by NTILE({step.bins}) with a {user} tie-break: "
        f"{step.bins} = most recent, most frequent, highest spend."
    )
    src.lines(
        f"reference = pd.Timestamp({step.reference_date.isoformat()!r})",
        f"{var} = (",
        f"    df.groupby({user!r})",
        "    .agg(",
        f'        last_purchase=({step.date_column!r}, "max"),',
        f"        {frequency},",
        f'        monetary=({step.amount_column!r}, "sum"),',
        "    )",
        "    .reset_index()",
        ")",
        f'{var}["recency_days"] = (reference - {var}["last_purchase"].dt.normalize()).dt.days',
        "# R: oldest purchases first, so the most recent users land in the top tile.",
        f'{var}["R"] = ntile({var}, "recency_days", False, {user!r}, {step.bins})',
        f'{var}["F"] = ntile({var}, "frequency", True, {user!r}, {step.bins})',
        f'{var}["M"] = ntile({var}, "monetary", True, {user!r}, {step.bins})',
        f'{var}["RFM"] = {var}["R"].astype(str) + {var}["F"].astype(str) + {var}["M"].astype(str)',
        f'{var}["segment"] = [',
        f'    rfm_segment(r, f, m, {step.bins}, "{ctx.language}")',
        f'    for r, f, m in zip({var}["R"], {var}["F"], {var}["M"], strict=True)',
        "]",
        f"{var} = {var}[",
        f'    [{user!r}, "recency_days", "frequency", "monetary", "last_purchase",'
        ' "R", "F", "M", "RFM", "segment"]',
        f'].sort_values({user!r}, kind="mergesort")',
    )
    seg = ctx.variable(f"{o}_segments")
    src.lines(
        f"{seg} = (",
        f'    {var}.groupby("segment")',
        "    .agg(",
        f'        users=({user!r}, "size"),',
        '        avg_recency_days=("recency_days", "mean"),',
        '        avg_frequency=("frequency", "mean"),',
        '        avg_monetary=("monetary", "mean"),',
        "    )",
        "    .round(2)",
        "    .reset_index()",
        '    .sort_values(["users", "segment"], ascending=[False, True], kind="mergesort")',
        ")",
    )
    rfm_results(step, var, seg, src, ctx)


def rfm_results(
    step: RFMStep,
    var: str,
    seg: str,
    src: Source,
    ctx: RenderContext,
    users: str | None = None,
) -> None:
    """Facts from the segments table `seg`, then the per-user table `var` and `seg` are
    reported (both engines). `users`: the expression counting all users, when `var`
    holds only the first of them."""
    o = step.output
    total = "" if users is None else f", total_rows={users}"
    src.lines(
        f'facts["{o}_users"] = {users or f"len({var})"}',
        f'facts["{o}_reference_date"] = {step.reference_date.isoformat()!r}',
        f'facts["{o}_top_segment"] = str({seg}["segment"].iloc[0]) if len({seg}) else "-"',
        f'facts["{o}_top_segment_users"] = int({seg}["users"].iloc[0]) if len({seg}) else 0',
        f'facts["{o}_segment_counts"] = ", ".join(',
        f'    f"{{s}}: {{n}}" for s, n in zip({seg}["segment"], {seg}["users"], strict=True)',
        ")",
        f"tl.table({var}, {o!r}, {step.title!r}{total})",
        f"tl.table({seg}, {o + '_segments'!r}, {ctx.say('Segments', '用户分群')!r})",
    )


def render_chart(step: ChartStep, src: Source, ctx: RenderContext) -> None:
    data = ctx.source(step.source)
    title = step.title or step.file
    src.line("fig, ax = plt.subplots(figsize=(10, 5))")
    if step.chart == "line":
        src.line(f'ax.plot({data}[{step.x!r}].astype(str), {data}[{step.y!r}], marker="o")')
        if step.mark_peak:
            peak = ctx.say("Peak", "峰值")
            src.lines(
                f"peak = int({data}[{step.y!r}].to_numpy().argmax())",
                f"peak_x = str({data}[{step.x!r}].iloc[peak])",
                f"peak_y = {data}[{step.y!r}].iloc[peak]",
                'ax.scatter([peak_x], [peak_y], color="crimson", s=80, zorder=3)',
                "ax.annotate(",
                f'    f"{peak} {{peak_x}}\\n{{peak_y:,.0f}}", xy=(peak_x, peak_y),',
                '    xytext=(0, 12), textcoords="offset points", ha="center", color="crimson",',
                ")",
                "ax.margins(y=0.15)",
            )
        src.line('ax.tick_params(axis="x", labelrotation=45)')
    elif step.chart == "bar":
        src.comment("At most 30 bars stay readable.")
        src.lines(
            f"shown = {data}.head(30)",
            f'ax.bar(shown[{step.x!r}].astype(str), shown[{step.y!r}], color="steelblue")',
            'ax.tick_params(axis="x", labelrotation=45)',
        )
    elif step.chart == "hist":
        src.line(
            f'ax.hist(pd.to_numeric({data}[{step.x!r}], errors="coerce").dropna(), '
            f'bins={step.bins}, color="steelblue", edgecolor="white")'
        )
    elif step.chart == "scatter":
        src.comment("A fixed sample keeps large scatter plots fast and the chart reproducible.")
        src.lines(
            f"shown = {data}.sample(min(len({data}), 5000), random_state=0)",
            f"ax.scatter(shown[{step.x!r}], shown[{step.y!r}], s=8, alpha=0.5)",
        )
    else:  # heatmap of a matrix whose first column names the rows
        src.lines(
            f"matrix = {data}.set_index({data}.columns[0])",
            'image = ax.imshow(matrix.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1)',
            "ax.set_xticks(range(len(matrix.columns)), [str(c) for c in matrix.columns],"
            ' rotation=45, ha="right")',
            "ax.set_yticks(range(len(matrix.index)), [str(i) for i in matrix.index])",
            "for i in range(matrix.shape[0]):",
            "    for j in range(matrix.shape[1]):",
            '        ax.text(j, i, f"{matrix.iloc[i, j]:.2f}", ha="center", va="center")',
            "fig.colorbar(image, ax=ax)",
        )
    if step.chart != "heatmap":
        xlabel = ctx.say("period", "周期") if step.x == "period" else (step.x or "")
        ylabel = step.label or (step.y or ctx.say("count", "数量"))
        if step.chart == "hist":
            xlabel, ylabel = step.label or (step.x or ""), ctx.say("count", "数量")
        src.lines(f"ax.set_xlabel({xlabel!r})", f"ax.set_ylabel({ylabel!r})")
        src.line("ax.grid(alpha=0.3)")
    src.lines(
        f"ax.set_title({title!r})",
        "fig.tight_layout()",
        f"fig.savefig({step.file!r}, dpi=120)",
        "plt.close(fig)",
        f"tl.image({step.file!r}, {title!r})",
    )


def render_answer(step: AnswerStep, src: Source, ctx: RenderContext) -> None:
    src.comment("The answer, then any caveats the steps noted (such as partial periods).")
    src.line('tl.answer("\\n".join([ANSWER.format(**facts), *notes]))')


def render_python(step: PythonStep, src: Source, ctx: RenderContext) -> None:
    src.comment("Free code from the plan; it sees df, results and facts like the steps above.")
    for line in step.code.rstrip().splitlines() or ["pass"]:
        src.line(line)


Renderer = Callable[[Any, Source, RenderContext], None]

RENDERERS: dict[str, Renderer] = {
    "load": render_load,
    "filter": render_filter,
    "window": render_window,
    "derive": render_derive,
    "table": render_table,
    "aggregate": render_aggregate,
    "resample": render_resample,
    "top_n": render_top_n,
    "pivot": render_pivot,
    "describe": render_describe,
    "missing": render_missing,
    "correlate": render_correlate,
    "outliers": render_outliers,
    "rfm": render_rfm,
    "chart": render_chart,
    "answer": render_answer,
    "python": render_python,
}


def render_step(step: Step, src: Source, ctx: RenderContext) -> None:
    RENDERERS[step.kind](step, src, ctx)
