"""Codegen: deterministic, readable, and the code runs by hand next to its data."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bot.codegen import generate_code, sandbox_input_name
from bot.codegen.facts import facts_provided
from bot.errors import PlanningError
from bot.models import (
    AggregateStep,
    AnswerStep,
    ChartStep,
    CorrelateStep,
    DescribeStep,
    FilterStep,
    LoadStep,
    Metric,
    MissingStep,
    OutliersStep,
    PivotStep,
    Plan,
    PythonStep,
    ResampleStep,
    RFMStep,
    TableStep,
    TopNStep,
)


def _plan(**overrides: object) -> Plan:
    fields: dict[str, object] = {
        "question": "monthly sales",
        "language": "en",
        "dataset": "sales.csv",
        "summary": "Monthly totals with the peak marked",
        "steps": [
            LoadStep(),
            FilterStep(column="sales", op=">=", value=0),
            ResampleStep(output="monthly", date_column="date", freq="month", value_column="sales"),
            ChartStep(
                chart="line",
                source="monthly",
                x="period",
                y="sales",
                mark_peak=True,
                file="monthly.png",
            ),
            AnswerStep(template="Peak {monthly_peak_period}: {monthly_peak_value:,.2f}"),
        ],
    }
    fields.update(overrides)
    return Plan.model_validate(fields)


def test_same_plan_gives_same_code() -> None:
    assert generate_code(_plan()) == generate_code(_plan())


def test_code_compiles_and_names_its_input() -> None:
    code = generate_code(_plan())
    compile(code, "analysis.py", "exec")
    assert "DATA = 'sales.parquet'" in code
    assert sandbox_input_name("销售 数据 (2025).csv") == "销售_数据_2025.parquet"


def test_generated_code_runs_by_hand_next_to_its_data(tmp_path: Path) -> None:
    days = pd.date_range("2025-01-01", "2025-06-30", freq="D")
    frame = pd.DataFrame({"date": days, "sales": [float(d.month * 10 + d.day % 3) for d in days]})
    frame.to_parquet(tmp_path / "sales.parquet")
    (tmp_path / "analysis.py").write_text(generate_code(_plan()), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "analysis.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = frame.groupby(frame["date"].dt.to_period("M"))["sales"].sum()
    assert f"Peak {expected.idxmax()}: {expected.max():,.2f}" in proc.stdout
    assert (tmp_path / "monthly.png").stat().st_size > 0
    assert (tmp_path / "tables" / "monthly.csv").exists()


def test_rfm_code_states_its_definition() -> None:
    plan = _plan(
        steps=[
            LoadStep(),
            RFMStep(
                user_column="user_id",
                date_column="date",
                amount_column="amount",
                order_column="order_id",
                reference_date=dt.date(2026, 12, 1),
            ),
            AnswerStep(template="{rfm_users}"),
        ]
    )
    code = generate_code(plan)
    assert "NTILE(5)" in code and "2026-12-01" in code
    assert "distinct orders (order_id)" in code


def test_result_names_never_shadow_the_scripts_own_names() -> None:
    plan = _plan(
        steps=[
            LoadStep(),
            AggregateStep(
                output="df", by=["region"], metrics=[Metric(column="sales", func="sum", name="t")]
            ),
            AggregateStep(
                output="pd", by=["region"], metrics=[Metric(column="sales", func="sum", name="t")]
            ),
            PythonStep(code="print(len(df))"),
            AnswerStep(template="{pd_groups}"),
        ]
    )
    code = generate_code(plan)
    assert "\npd = " not in code and "    pd = " not in code
    assert "result_pd = " in code


def test_an_answer_reading_unknown_facts_is_refused_before_running() -> None:
    plan = _plan(steps=[LoadStep(), AnswerStep(template="{rows_loaded} {no_such_fact}")])
    with pytest.raises(PlanningError, match="no_such_fact"):
        generate_code(plan)


def test_the_code_records_exactly_the_facts_the_contract_names(tmp_path: Path) -> None:
    """Every step kind with facts runs once; the recorded names equal `facts_provided`."""
    days = pd.date_range("2025-01-01", periods=90, freq="D")
    frame = pd.DataFrame(
        {
            "date": days,
            "user": [f"U{i % 7}" for i in range(90)],
            "order": [f"O{i}" for i in range(90)],
            "region": ["N", "S", "E"] * 30,
            "sales": [float((i * 37) % 101) for i in range(90)],
            "orders": [(i * 11) % 13 for i in range(90)],
        }
    )
    frame.to_parquet(tmp_path / "sales.parquet")
    steps = [
        LoadStep(),
        FilterStep(column="sales", op=">", value=1),
        TableStep(output="kept"),
        ResampleStep(output="monthly", date_column="date", freq="month", value_column="sales"),
        AggregateStep(
            output="by_region",
            by=["region"],
            metrics=[Metric(column="sales", func="sum", name="t")],
        ),
        TopNStep(output="top", column="sales", n=3, group_by="region"),
        PivotStep(output="pivot", index="region", columns="user", values="sales"),
        DescribeStep(output="summary"),
        MissingStep(output="missing"),
        CorrelateStep(output="corr", columns=["sales", "orders"]),
        OutliersStep(output="outliers", column="sales"),
        RFMStep(
            user_column="user",
            date_column="date",
            amount_column="sales",
            order_column="order",
            reference_date=dt.date(2025, 4, 1),
        ),
        PythonStep(code="print('FACTS', sorted(facts))"),
    ]
    plan = _plan(steps=steps)
    (tmp_path / "analysis.py").write_text(generate_code(plan), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "analysis.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("FACTS "))
    recorded = set(ast.literal_eval(line.removeprefix("FACTS ")))
    assert recorded == facts_provided(plan)


def test_partial_periods_are_flagged_and_left_out_of_the_comparison(tmp_path: Path) -> None:
    days = pd.date_range("2025-02-01", "2025-12-15", freq="D")
    # Q4 holds the largest single days, but it is partial; Q3 is the peak of whole quarters.
    sales = [100.0 if d.quarter == 4 else (20.0 if d.quarter == 3 else 10.0) for d in days]
    pd.DataFrame({"date": days, "sales": sales}).to_parquet(tmp_path / "sales.parquet")
    plan = _plan(
        steps=[
            LoadStep(),
            ResampleStep(output="q", date_column="date", freq="quarter", value_column="sales"),
            AnswerStep(template="peak {q_peak_period} low {q_low_period} total {q_total:.0f}"),
        ]
    )
    (tmp_path / "analysis.py").write_text(generate_code(plan), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "analysis.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert f"peak 2025Q3 low 2025Q2 total {sum(sales):.0f}" in proc.stdout
    assert "Note: 2025Q1, 2025Q4 are only partly covered" in proc.stdout
    table = pd.read_csv(tmp_path / "tables" / "q.csv")
    assert table["complete"].tolist() == [False, True, True, False]
