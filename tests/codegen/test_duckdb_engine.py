"""The DuckDB engine gives the pandas engine's results: the same plans, run both ways in
the real sandbox on one ingested table with missing values, ties and a partial month,
must report the same tables, facts and answer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.codegen import generate_code, sandbox_input_name
from bot.codegen.engine import PANDAS, Engine, choose_engine
from bot.ingest import ingest
from bot.models import (
    AggregateStep,
    AnswerStep,
    ChartStep,
    Dataset,
    DeriveStep,
    DescribeStep,
    FilterStep,
    LoadStep,
    Metric,
    Plan,
    ResampleStep,
    RFMStep,
    Step,
    TableStep,
    TopNStep,
    WindowStep,
)
from bot.review import review
from bot.settings import Settings
from sandbox.executor import Job
from sandbox.limits import MIB, Limits
from sandbox.result import RunResult
from sandbox.sandbox_executor import SandboxExecutor


def _orders(rows: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = np.array([f"U{i:03d}" for i in range(180)], dtype=object)
    weights = np.linspace(2, 0.2, len(users))  # skewed: early users buy more
    frame = pd.DataFrame(
        {
            "user_id": rng.choice(users, rows, p=weights / weights.sum()),
            "order_id": rng.integers(1, rows // 2, rows),  # repeats: several rows per order
            "line_id": np.arange(1, rows + 1),  # one per row: ingest proves it unique
            "amount": np.round(rng.lognormal(3, 1, rows), 2),
            "qty": rng.integers(1, 6, rows),
            "date": pd.Timestamp("2024-01-10")
            + pd.to_timedelta(rng.integers(0, 600, rows), unit="D"),
            "city": rng.choice(["Beijing", "Shanghai", "Shenzhen", "Chengdu"], rows),
        }
    )
    frame["amount"] = frame["amount"].where(rng.random(rows) > 0.03)  # missing amounts
    frame.loc[rng.random(rows) < 0.02, "city"] = None
    frame.loc[rng.random(rows) < 0.01, "user_id"] = None
    frame.loc[::97, "amount"] = 20.0  # ties
    return frame


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    root = tmp_path_factory.mktemp("orders")
    frame = _orders()
    path = root / "orders.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return ingest(path, Settings(data_dir=root / "data", pii_tokenise=False))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxExecutor]:
    executor = SandboxExecutor(tmp_path_factory.mktemp("work"))
    yield executor
    executor.close()


def _plan(dataset: Dataset, *steps: Step, template: str = "{rows_loaded}") -> Plan:
    return Plan(
        question="q",
        language="en",
        dataset=dataset.name,
        summary="s",
        steps=[LoadStep(), *steps, AnswerStep(template=template)],
    )


def _run(
    sandbox: SandboxExecutor, code: str, dataset: Dataset, out: Path, limits: Limits | None = None
) -> RunResult:
    out.mkdir(parents=True)
    job = Job(
        code=code,
        inputs={sandbox_input_name(dataset.name): Path(dataset.cache_path)},
        artifacts_dir=out,
        limits=limits or Limits(),
    )
    return sandbox.run(job)


def _tables(result: RunResult) -> dict[str, tuple[int, pd.DataFrame]]:
    """Each reported table: its total row count and its whole CSV."""
    files = {a.name: a.path for a in result.artifacts}
    found = {}
    for event in result.events:
        if event.type == "table":
            csv = files[str(event.data["path"])]
            found[str(event.data["name"])] = (int(event.data["total_rows"]), pd.read_csv(csv))
    return found


def _answer(result: RunResult) -> str:
    return next(str(e.data["text"]) for e in result.events if e.type == "answer")


DUCKDB = Engine(
    "duckdb",
    rows=3000,
    integer_columns=frozenset({"order_id", "line_id", "qty"}),
    dtypes=(("order_id", "Int64"), ("line_id", "Int64"), ("qty", "Int64")),
    unique_columns=frozenset({"line_id"}),
)

PLANS: dict[str, tuple[list[Step], str]] = {
    "filters": (
        [
            FilterStep(column="city", op="!=", value="Beijing"),
            FilterStep(column="amount", op=">=", value=10),
            FilterStep(column="city", op="not in", value=["Chengdu"]),
            FilterStep(column="date", op="<", value="2025-06-01"),
            FilterStep(column="user_id", op="contains", value="U01"),
            TableStep(output="kept", sort_by="amount"),
        ],
        "{rows_kept} {rows_removed} {kept_rows}",
    ),
    "in_and_notnull": (
        [
            FilterStep(column="city", op="in", value=["Beijing", "Shanghai"]),
            FilterStep(column="amount", op="notnull"),
            TableStep(output="kept", columns=["user_id", "amount"]),
        ],
        "{rows_kept}",
    ),
    "aggregate": (
        [
            AggregateStep(
                output="by_city",
                by=["city"],
                metrics=[
                    Metric(column="amount", func="sum", name="total"),
                    Metric(column="amount", func="mean", name="average"),
                    Metric(column="amount", func="median", name="middle"),
                    Metric(column="qty", func="sum", name="units"),
                    Metric(column="qty", func="min", name="least"),
                    Metric(column="qty", func="max", name="most"),
                    Metric(column="amount", func="count", name="priced"),
                    Metric(column="user_id", func="nunique", name="buyers"),
                ],
            ),
            AggregateStep(
                output="by_city_user",
                by=["city", "user_id"],
                metrics=[Metric(column="qty", func="sum", name="units")],
            ),
        ],
        "{by_city_groups} {by_city_top_group} {by_city_top_value:.4f} {by_city_user_top_group}",
    ),
    "resample": (
        [
            ResampleStep(output="daily", date_column="date", freq="day", value_column="amount"),
            ResampleStep(output="weekly", date_column="date", freq="week"),
            ResampleStep(output="monthly", date_column="date", freq="month", value_column="qty"),
            ResampleStep(
                output="quarterly",
                date_column="date",
                freq="quarter",
                value_column="amount",
                func="mean",
            ),
            ResampleStep(
                output="yearly",
                date_column="date",
                freq="year",
                value_column="user_id",
                func="nunique",
            ),
        ],
        "{monthly_peak_period} {monthly_peak_value} {monthly_cv_pct:.6f} {weekly_low_period} "
        "{quarterly_peak_period} {yearly_total}",
    ),
    "window": (
        [
            WindowStep(column="date", last=6, unit="month"),
            ResampleStep(output="monthly", date_column="date", freq="month", value_column="amount"),
        ],
        "{rows_kept} {monthly_peak_period} {monthly_total:.4f}",
    ),
    "top_n": (
        [
            TopNStep(output="biggest", column="amount", n=15),
            TopNStep(output="smallest", column="amount", n=7, ascending=True),
            TopNStep(output="cities", column="qty", n=3, group_by="city"),
            TopNStep(output="users", column="amount", n=10, group_by="user_id", ascending=True),
        ],
        "{biggest_first_label} {biggest_first_value} {cities_first_label} {users_first_value}",
    ),
    "rfm_orders": (
        [
            RFMStep(
                user_column="user_id",
                date_column="date",
                amount_column="amount",
                order_column="order_id",
                reference_date=dt.date(2025, 9, 2),
            )
        ],
        "{rfm_users} {rfm_top_segment} {rfm_segment_counts}",
    ),
    "unique_lines": (
        [
            FilterStep(column="city", op="!=", value="Beijing"),
            AggregateStep(
                output="lines",
                by=["city"],
                metrics=[
                    Metric(column="line_id", func="nunique", name="lines"),
                    Metric(column="order_id", func="nunique", name="orders"),
                ],
            ),
            RFMStep(
                user_column="user_id",
                date_column="date",
                amount_column="amount",
                order_column="line_id",
                reference_date=dt.date(2025, 9, 2),
            ),
        ],
        "{lines_top_group} {rfm_users} {rfm_segment_counts}",
    ),
    "rfm_rows_integer_amount": (
        [
            RFMStep(
                user_column="user_id",
                date_column="date",
                amount_column="qty",
                reference_date=dt.date(2025, 12, 31),
                bins=4,
            )
        ],
        "{rfm_users} {rfm_segment_counts}",
    ),
    "derive": (
        [
            DeriveStep(name="value", expression="amount * qty + 1"),
            DeriveStep(name="qty", expression="qty * 2"),  # overwrites, as in pandas
            DeriveStep(name="value", expression="value - qty"),
            AggregateStep(
                output="by_city",
                by=["city"],
                metrics=[
                    Metric(column="value", func="sum", name="value"),
                    Metric(column="qty", func="sum", name="qty"),
                ],
            ),
        ],
        "{by_city_top_group} {by_city_top_value:.4f}",
    ),
    "pandas_only_steps": (
        [
            FilterStep(column="qty", op=">", value=2),
            DeriveStep(name="half", expression="qty.abs() / 2"),
            DescribeStep(columns=["amount", "qty", "half"]),
            ChartStep(chart="hist", source="df", x="amount", file="amounts.png"),
        ],
        "{rows_kept} {summary_rows}",
    ),
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_duckdb_and_pandas_engines_agree(
    name: str, dataset: Dataset, sandbox: SandboxExecutor, tmp_path: Path
) -> None:
    steps, template = PLANS[name]
    plan = _plan(dataset, *steps, template=template)
    pandas_code, duckdb_code = generate_code(plan, PANDAS), generate_code(plan, DUCKDB)
    assert "tl.duckdb_connect()" in duckdb_code and "duckdb" not in pandas_code
    assert review(duckdb_code).status == "ok", review(duckdb_code).findings
    by_pandas = _run(sandbox, pandas_code, dataset, tmp_path / "pandas")
    by_duckdb = _run(sandbox, duckdb_code, dataset, tmp_path / "duckdb")
    assert by_pandas.ok, by_pandas.stderr
    assert by_duckdb.ok, by_duckdb.stderr + "\n" + duckdb_code
    assert _answer(by_duckdb) == _answer(by_pandas)
    expected, got = _tables(by_pandas), _tables(by_duckdb)
    assert list(got) == list(expected)
    for table, (rows, frame) in expected.items():
        assert got[table][0] == rows, table
        pd.testing.assert_frame_equal(got[table][1], frame, check_dtype=False, rtol=1e-9)


def _plan_dataset() -> Dataset:
    return Dataset.model_validate(
        {
            "id": "x", "name": "orders.csv", "source_path": "x", "cache_path": "x",
            "size_bytes": 1, "format": "csv", "profile": {"rows": 1, "columns": []},
        }
    )  # fmt: skip


def test_each_plan_exercises_duckdb_before_any_fallback() -> None:
    # Only the plan built to fall back may load the rows into pandas.
    for name, (steps, template) in PLANS.items():
        code = generate_code(_plan(_plan_dataset(), *steps, template=template), DUCKDB)
        assert ("goes to pandas" in code) == (name == "pandas_only_steps"), name


def test_the_engine_follows_the_row_threshold(dataset: Dataset) -> None:
    assert choose_engine(dataset, duckdb_min_rows=dataset.profile.rows + 1) == PANDAS
    chosen = choose_engine(dataset, duckdb_min_rows=dataset.profile.rows)
    assert chosen.kind == "duckdb"
    assert chosen.integer_columns == {"order_id", "line_id", "qty"}
    assert chosen.unique_columns == {"line_id"}  # order_id repeats


def test_a_derived_column_named_like_one_not_loaded_is_new_in_both_engines(
    dataset: Dataset, sandbox: SandboxExecutor, tmp_path: Path
) -> None:
    plan = Plan(
        question="q",
        language="en",
        dataset=dataset.name,
        summary="s",
        steps=[
            LoadStep(columns=["city", "qty"]),
            DeriveStep(name="order_id", expression="qty * 3"),  # a column of the file
            AggregateStep(
                output="by_city",
                by=["city"],
                metrics=[Metric(column="order_id", func="sum", name="order_id")],
            ),
            AnswerStep(template="{by_city_top_group} {by_city_top_value}"),
        ],
    )
    answers = []
    for engine, name in ((PANDAS, "pandas"), (DUCKDB, "duckdb")):
        code = generate_code(plan, engine)
        result = _run(sandbox, code, dataset, tmp_path / name)
        assert result.ok, result.stderr + "\n" + code
        answers.append(_answer(result))
    assert answers[0] == answers[1]


def test_distinct_counts_of_a_unique_column_count_its_values() -> None:
    steps, template = PLANS["unique_lines"]
    code = generate_code(_plan(_plan_dataset(), *steps, template=template), DUCKDB)
    assert 'count("line_id")' in code and 'count(DISTINCT "line_id")' not in code
    assert "SELECT DISTINCT" not in code
    assert 'count(DISTINCT "order_id")' in code
    # A derived column of the same name is a new column, not known to be unique.
    derived = [DeriveStep(name="line_id", expression="qty * 2"), *steps[1:]]
    code = generate_code(_plan(_plan_dataset(), *derived, template=template), DUCKDB)
    assert 'count(DISTINCT "line_id")' in code  # the metric
    assert 'SELECT DISTINCT "user_id", "line_id"' in code  # RFM counts distinct orders apart


def test_rows_beyond_what_pandas_gets_are_counted_not_dropped_silently(
    dataset: Dataset, sandbox: SandboxExecutor, tmp_path: Path
) -> None:
    import bot.codegen.duckdb_steps as duckdb_steps

    plan = _plan(dataset, TableStep(output="all"), template="{all_rows}")
    limit = duckdb_steps.ROWS_TO_PANDAS
    try:
        duckdb_steps.ROWS_TO_PANDAS = 100
        code = generate_code(plan, DUCKDB)
    finally:
        duckdb_steps.ROWS_TO_PANDAS = limit
    result = _run(sandbox, code, dataset, tmp_path / "run")
    assert result.ok, result.stderr
    rows, frame = _tables(result)["all"]
    assert rows == dataset.profile.rows and len(frame) == 100
    assert _answer(result) == str(dataset.profile.rows)


def _spill_code(rows: int) -> str:
    # Sorting 700,000 rows of ~200 bytes needs more than DuckDB's half of a 256 MB limit
    # (measured: it spills 30-90 MB).
    return (
        "from sandbox import runtime as tl\n"
        "con = tl.duckdb_connect()\n"
        'print("limit", con.execute("SELECT current_setting(\'memory_limit\')").fetchall()[0][0])\n'
        "frame = tl.query(con, '''\n"
        f"    SELECT i % 1000 AS k, max(s) AS s FROM (\n"
        f"        SELECT i, repeat('x', 200) || i::VARCHAR AS s FROM range({rows}) t(i)\n"
        "        ORDER BY s DESC\n"
        "    ) GROUP BY k ORDER BY k\n"
        "''')\n"
        "print('groups', len(frame))\n"
    )


def test_duckdb_spills_to_the_work_dir_instead_of_running_out_of_memory(
    sandbox: SandboxExecutor, tmp_path: Path
) -> None:
    limits = Limits(memory_bytes=256 * MIB, workdir_bytes=2048 * MIB)
    result = sandbox.run(Job(code=_spill_code(700_000), limits=limits))
    assert result.ok, result.stdout + result.stderr
    assert "limit 122.0 MiB" in result.stdout  # half the run's limit
    assert "groups 1000" in result.stdout
    spilled = re.search(r"DuckDB spilled ([\d.,]+) MB to disk", result.stdout)
    assert spilled is not None and float(spilled[1].replace(",", "")) > 1


def test_a_query_too_big_for_memory_and_spill_room_is_reported_as_out_of_memory(
    sandbox: SandboxExecutor,
) -> None:
    limits = Limits(memory_bytes=256 * MIB, spill_bytes=8 * MIB)  # room to spill 8 MB
    result = sandbox.run(Job(code=_spill_code(700_000), limits=limits))
    assert result.status == "out_of_memory", result.stdout + result.stderr
    assert "256 MB" in result.message
    assert "OutOfMemory" in result.stderr
