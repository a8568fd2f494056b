"""The DuckDB engine's step renderers: the working table is a SQL view over the Parquet
cache, filters make new views, and analyses run as SQL whose (small) results go to pandas.

Each renderer writes the same result table and facts as its pandas twin in steps.py: the
SQL computes what pandas would, and the shared `*_results` functions of steps.py do the
rest on the aggregated frame. Steps with no SQL form here (pivot, describe, missing,
correlate, outliers, free Python, charts of the raw rows) load the working table into
pandas once, and the rest of the plan runs as pandas code.
"""

from __future__ import annotations

from bot.codegen import helpers, steps
from bot.codegen.context import RenderContext
from bot.codegen.source import Source
from bot.codegen.sql import ROW, arithmetic, condition, ident
from bot.models import (
    AggFunc,
    AggregateStep,
    ChartStep,
    DeriveStep,
    FilterStep,
    LoadStep,
    ResampleStep,
    RFMStep,
    Step,
    TableStep,
    TopNStep,
    WindowStep,
)
from bot.sql_text import string_literal

# Rows of a row-level result (a table step, the per-user RFM table) handed to pandas and
# saved; the reply still says how many rows the result has in all.
ROWS_TO_PANDAS = 10_000


def header(src: Source, ctx: RenderContext, data_file: str, rows: int | None) -> None:
    """The connection and the base view; written after the script's imports."""
    size = f" ({rows:,} rows)" if rows is not None else ""
    src.comment(f"A large table{size}: DuckDB runs the steps as SQL over the Parquet file,")
    src.comment("within the run's memory limit (spilling to disk when it must); pandas gets")
    src.comment("only the aggregated results. tl.query prints progress for long queries.")
    src.line("con = tl.duckdb_connect()")
    view = ctx.next_view()
    source = f"read_parquet({string_literal(data_file)}, {ROW} = true)"
    _execute(src, f"CREATE VIEW {view} AS SELECT * FROM {source}")


def _execute(src: Source, sql: str) -> None:
    src.line(f"con.execute({sql!r})")


def _query(src: Source, target: str, sql_lines: list[str]) -> None:
    """`target = tl.query(con, <SQL>)`: a result for pandas."""
    _call(src, f"{target} = tl.query", sql_lines)


def _execute_lines(src: Source, sql_lines: list[str]) -> None:
    """`tl.execute(con, <SQL>)`: a long statement, run so that its progress shows."""
    _call(src, "tl.execute", sql_lines)


def _call(src: Source, call: str, sql_lines: list[str]) -> None:
    """`call(con, <SQL>)`, the SQL laid out on its own lines when it can be."""
    body = "\n".join(sql_lines)
    if '"""' in body or "\\" in body:
        src.line(f"{call}(con, {' '.join(s.strip() for s in sql_lines)!r})")
        return
    src.line(f'{call}(con, """')
    for line in sql_lines:
        src.line(f"    {line}")
    src.line('""")')


def _fetch(sql: str) -> str:
    """Python that runs `sql` and gives its one result row."""
    return f"con.execute({sql!r}).fetchall()[0]"


def _count(view: str) -> str:
    return _fetch(f"SELECT count(*) FROM {view}") + "[0]"


def _all_columns() -> str:
    return f"* EXCLUDE ({ROW})"


def _agg(func: AggFunc, column: str | None, ctx: RenderContext) -> str:
    """pandas' aggregate as SQL: sums of nothing are 0, counts skip missing values."""
    if column is None:
        return "count(*)"
    col = ident(column)
    if func == "sum":
        if column in ctx.integer_columns:
            return f"CAST(COALESCE(sum({col}), 0) AS BIGINT)"
        # fsum is compensated (Kahan) summation, as pandas' group sums are: plain sum
        # gives 540.5699999999999 where pandas gives 540.57.
        return f"COALESCE(fsum({col}), 0)"
    if func == "mean":
        return f"avg({col})"
    if func == "nunique":
        return _count_distinct(column, ctx)
    return f"{func}({col})"  # median, min, max, count share their SQL names


def _count_distinct(column: str, ctx: RenderContext) -> str:
    """count(DISTINCT column); for a column known to be unique, the same number counted
    without a hash set of its values (at 50M rows: seconds and gigabytes less)."""
    if column in ctx.unique_columns:
        return f"count({ident(column)})"
    return f"count(DISTINCT {ident(column)})"


def render_load(step: LoadStep, src: Source, ctx: RenderContext) -> None:
    source = ctx.view
    if step.columns:
        columns = ", ".join([*(ident(c) for c in step.columns), ROW])
        _execute(src, f"CREATE VIEW {ctx.next_view()} AS SELECT {columns} FROM {source}")
        # The working table has these columns only: a derive step naming another one
        # makes a new column, not a replacement.
        ctx.dtypes = {c: t for c, t in ctx.dtypes.items() if c in step.columns}
    view = ctx.view
    src.lines(
        f"rows = {_count(view)}",
        'facts["rows_loaded"] = rows',
        f'facts["column_count"] = len(con.sql({f"SELECT {_all_columns()} FROM {view} LIMIT 0"!r})'
        ".columns)",
        "print(f\"Reading {rows:,} rows x {facts['column_count']} columns from {DATA} "
        'with DuckDB")',
    )


def _filtered(src: Source, ctx: RenderContext, where: str, described: str) -> None:
    source, view = ctx.view, ctx.next_view()
    src.line("before = rows")
    _execute(src, f"CREATE VIEW {view} AS SELECT * FROM {source} WHERE {where}")
    src.lines(
        f"rows = {_count(view)}",
        f'print(f"Kept {{rows:,}} of {{before:,}} rows where {described}")',
        'facts["rows_kept"] = rows',
        'facts["rows_removed"] = facts["rows_loaded"] - rows',
    )


def render_filter(step: FilterStep, src: Source, ctx: RenderContext) -> None:
    text = f"{step.column} {step.op}" + ("" if step.op == "notnull" else f" {step.value}")
    described = text.replace("{", "{{").replace("}", "}}").replace('"', "'")
    _filtered(src, ctx, condition(step), described)


def render_window(step: WindowStep, src: Source, ctx: RenderContext) -> None:
    freq = steps.PANDAS_FREQ[step.unit]
    column = ident(step.column)
    src.comment(
        f"Keep the last {step.last} calendar {step.unit}(s), counted back from the latest "
        "date in the data (the latest period counts as one, even when partial)."
    )
    src.lines(
        f"latest = pd.Timestamp({_fetch(f'SELECT max({column}) FROM {ctx.view}')}[0])",
        f'start = (latest.to_period("{freq}") - {step.last - 1}).start_time',
    )
    source, view = ctx.view, ctx.next_view()
    braced = column.replace("{", "{{").replace("}", "}}")
    sql = f"CREATE VIEW {view} AS SELECT * FROM {source} WHERE {braced} >= TIMESTAMP '{{start}}'"
    src.lines(
        "before = rows",
        f"con.execute(f{sql!r})",
        f"rows = {_count(view)}",
        'print(f"Kept {rows:,} of {before:,} rows from {start.date()} to {latest.date()}")',
        'facts["rows_kept"] = rows',
        'facts["rows_removed"] = facts["rows_loaded"] - rows',
    )


def render_derive(step: DeriveStep, src: Source, ctx: RenderContext) -> None:
    expression = arithmetic(step.expression)
    if expression is None:
        to_pandas(src, ctx)
        steps.render_derive(step, src, ctx)
        return
    source, view = ctx.view, ctx.next_view()
    column = f"{expression} AS {ident(step.name)}"
    if step.name in ctx.dtypes or step.name in ctx.derived:
        # pandas overwrites the column in place; `SELECT *, ... AS name` would add a
        # second one that DuckDB renames (name_1), and later steps would read the old.
        _execute(src, f"CREATE VIEW {view} AS SELECT * REPLACE ({column}) FROM {source}")
    else:
        _execute(src, f"CREATE VIEW {view} AS SELECT *, {column} FROM {source}")
    ctx.derived.add(step.name)
    ctx.unique_columns.discard(step.name)


def render_table(step: TableStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    columns = ", ".join(ident(c) for c in step.columns) if step.columns else _all_columns()
    order = [ROW]
    if step.sort_by:
        direction = "" if step.ascending else " DESC"
        order.insert(0, f"{ident(step.sort_by)}{direction} NULLS LAST")
    _query(
        src,
        var,
        [
            f"SELECT {columns}",
            f"FROM {ctx.view}",
            f"ORDER BY {', '.join(order)}",
            f"LIMIT {ROWS_TO_PANDAS}",
        ],
    )
    src.lines(
        f'facts["{step.output}_rows"] = rows',
        f"tl.table({var}, {step.output!r}, {step.title!r}, total_rows=rows)",
    )


def render_aggregate(step: AggregateStep, src: Source, ctx: RenderContext) -> None:
    ctx.need(helpers.FACT_VALUE)
    var = ctx.variable(step.output)
    keys = [ident(c) for c in step.by]
    metrics = [f"{_agg(m.func, m.column, ctx)} AS {ident(m.name)}" for m in step.metrics]
    _query(
        src,
        var,
        [
            f"SELECT {', '.join([*keys, *metrics])}",
            f"FROM {ctx.view}",
            f"GROUP BY {', '.join(keys)}",
            # pandas' group order (keys ascending, missing last); results sorts by value.
            f"ORDER BY {', '.join(k + ' NULLS LAST' for k in keys)}",
        ],
    )
    steps.aggregate_results(step, var, src)


def render_resample(step: ResampleStep, src: Source, ctx: RenderContext) -> None:
    date = ident(step.date_column)
    value = _agg(step.func, step.value_column, ctx)
    _query(
        src,
        "totals",
        [
            f"SELECT date_trunc('{step.freq}', {date}) AS period, {value} AS value",
            f"FROM {ctx.view}",
            f"WHERE {date} IS NOT NULL",
            "GROUP BY period",
            "ORDER BY period",
        ],
    )
    freq = steps.PANDAS_FREQ[step.freq]
    src.line(
        'series = pd.Series(totals["value"].to_numpy(), '
        f'index=pd.DatetimeIndex(totals["period"]).to_period("{freq}"))'
    )
    if steps.is_additive(step):
        src.lines(
            f"bounds = {_fetch(f'SELECT min({date}), max({date}) FROM {ctx.view}')}",
            "first_day = pd.Timestamp(bounds[0]).normalize()",
            "last_day = pd.Timestamp(bounds[1]).normalize()",
        )
    steps.resample_results(step, src, ctx)


def render_top_n(step: TopNStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    direction = "" if step.ascending else " DESC"
    column = ident(step.column)
    if step.group_by:
        group = ident(step.group_by)
        total = _agg("sum", step.column, ctx)
        lines = [
            f"SELECT {group}, {total} AS {column}",
            f"FROM {ctx.view}",
            f"WHERE {group} IS NOT NULL",
            f"GROUP BY {group}",
            f"ORDER BY {column}{direction}, {group}",
            f"LIMIT {step.n}",
        ]
    else:
        lines = [
            f"SELECT {_all_columns()}",
            f"FROM {ctx.view}",
            f"WHERE {column} IS NOT NULL",
            f"ORDER BY {column}{direction}, {ROW}",
            f"LIMIT {step.n}",
        ]
    _query(src, var, lines)
    steps.top_n_results(step, var, src)


def render_rfm(step: RFMStep, src: Source, ctx: RenderContext) -> None:
    var = ctx.variable(step.output)
    seg = ctx.variable(f"{step.output}_segments")
    users_table = f"{var}_by_user"
    user = ident(step.user_column)
    date = ident(step.date_column)
    if step.order_column:
        frequency = _count_distinct(step.order_column, ctx)
        said = f"the number of distinct orders ({step.order_column})"
        if step.order_column in ctx.unique_columns:
            said += ", counted as its values: ingest found each value once"
    else:
        frequency, said = "count(*)", "the number of purchases (rows)"
    monetary = _agg("sum", step.amount_column, ctx)
    reference = step.reference_date.isoformat()
    middle = step.bins / 2
    tile = f"NTILE({step.bins}) OVER "
    src.comment(
        f"Recency: days from a user's last purchase to {reference} (the plan's reference "
        f"date); frequency: {said}; monetary: the total of {step.amount_column}."
    )
    src.comment(
        f"Each is scored 1-{step.bins} by NTILE({step.bins}) with a {step.user_column} "
        f"tie-break: {step.bins} = most recent, most frequent, highest spend."
    )
    segments = [
        f"        WHEN {_pattern(pattern, middle)} THEN {string_literal(name)}"
        for pattern, name in helpers.RFM_SEGMENT_NAMES[ctx.language].items()
    ]
    users = [
        "WITH users AS (",
        f"    SELECT {user}, max({date}) AS last_purchase, {frequency} AS frequency,",
        f"        {monetary} AS monetary",
        f"    FROM {ctx.view}",
        f"    WHERE {user} IS NOT NULL",
        f"    GROUP BY {user}",
    ]
    if step.order_column and step.order_column not in ctx.unique_columns:
        users = _orders_apart(user, date, ident(step.order_column), monetary, ctx.view)
    _execute_lines(
        src,
        [
            f"CREATE TEMP TABLE {users_table} AS",
            *users,
            "), scored AS (",
            "    SELECT *, date_diff('day', CAST(last_purchase AS DATE), "
            f"DATE '{reference}') AS recency_days",
            "    FROM users",
            "), tiles AS (",
            "    SELECT *,",
            "        -- R: oldest purchases first, so the most recent users land in the top tile.",
            f'        {tile}(ORDER BY recency_days DESC NULLS LAST, {user}) AS "R",',
            f'        {tile}(ORDER BY frequency NULLS LAST, {user}) AS "F",',
            f'        {tile}(ORDER BY monetary NULLS LAST, {user}) AS "M"',
            "    FROM scored",
            ")",
            f'SELECT {user}, recency_days, frequency, monetary, last_purchase, "R", "F", "M",',
            '    CAST("R" AS VARCHAR) || CAST("F" AS VARCHAR) || CAST("M" AS VARCHAR) AS "RFM",',
            "    CASE",
            *segments,
            "    END AS segment",
            "FROM tiles",
        ],
    )
    src.line(f"users = {_count(users_table)}")
    _query(
        src,
        var,
        [f"SELECT * FROM {users_table}", f"ORDER BY {user}", f"LIMIT {ROWS_TO_PANDAS}"],
    )
    _query(
        src,
        seg,
        [
            "SELECT segment, count(*) AS users, avg(recency_days) AS avg_recency_days,",
            "    avg(frequency) AS avg_frequency, avg(monetary) AS avg_monetary",
            f"FROM {users_table}",
            "GROUP BY segment",
        ],
    )
    src.line(
        f'{seg} = {seg}.round(2).sort_values(["users", "segment"], ascending=[False, True], '
        'kind="mergesort").reset_index(drop=True)'
    )
    steps.rfm_results(step, var, seg, src, ctx, users="users")


def _pattern(pattern: tuple[bool, bool, bool], middle: float) -> str:
    return " AND ".join(
        f'"{score}" {">" if high else "<="} {middle:g}'
        for score, high in zip("RFM", pattern, strict=True)
    )


def _orders_apart(user: str, date: str, order: str, monetary: str, view: str) -> list[str]:
    """The per-user aggregates with distinct orders counted in a query of their own and
    joined: DuckDB runs count(DISTINCT ...) beside other aggregates slower (50M rows under
    a 512 MB limit: 10.4 s against 6.3 s, spilling either way). The same numbers."""
    return [
        "WITH spend AS (",
        f"    SELECT {user}, max({date}) AS last_purchase, {monetary} AS monetary",
        f"    FROM {view}",
        f"    WHERE {user} IS NOT NULL",
        f"    GROUP BY {user}",
        "), orders AS (",
        "    -- Counted apart: faster in DuckDB than count(DISTINCT ...) beside other sums.",
        f"    SELECT {user}, count({order}) AS frequency",
        f"    FROM (SELECT DISTINCT {user}, {order} FROM {view} WHERE {user} IS NOT NULL)",
        f"    GROUP BY {user}",
        "), users AS (",
        f"    SELECT {user}, last_purchase, frequency, monetary",
        f"    FROM spend JOIN orders USING ({user})",
    ]


def render_chart(step: ChartStep, src: Source, ctx: RenderContext) -> None:
    if step.source == "df":
        to_pandas(src, ctx)
    steps.render_chart(step, src, ctx)


def to_pandas(src: Source, ctx: RenderContext) -> None:
    """Loads the working table into pandas as `df`; the rest of the plan is pandas code."""
    src.comment("This step needs the rows themselves: the working table goes to pandas.")
    src.line(f"df = tl.query(con, {f'SELECT {_all_columns()} FROM {ctx.view} ORDER BY {ROW}'!r})")
    if ctx.dtypes:
        src.comment("The column types pandas reads from the Parquet file (Int64 and so on).")
        src.line(f"cache_dtypes = {ctx.dtypes!r}")
        src.line("df = df.astype({c: t for c, t in cache_dtypes.items() if c in df.columns})")
    src.line('print(f"Loaded {len(df):,} rows into pandas")')
    ctx.sql = False


SQL_RENDERERS: dict[str, steps.Renderer] = {
    "load": render_load,
    "filter": render_filter,
    "window": render_window,
    "derive": render_derive,
    "table": render_table,
    "aggregate": render_aggregate,
    "resample": render_resample,
    "top_n": render_top_n,
    "rfm": render_rfm,
    "chart": render_chart,
    "answer": steps.render_answer,
}


def render_step(step: Step, src: Source, ctx: RenderContext) -> None:
    """The step as SQL while the plan is still in DuckDB, else as pandas code."""
    if ctx.sql:
        renderer = SQL_RENDERERS.get(step.kind)
        if renderer is not None:
            renderer(step, src, ctx)
            return
        to_pandas(src, ctx)
    steps.render_step(step, src, ctx)
