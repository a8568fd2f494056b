"""`facts_provided`: the facts each step records, by the names codegen writes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.codegen.facts import facts_provided, missing_facts, step_facts, template_fields
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
    WindowStep,
)


def _plan(*steps) -> Plan:  # type: ignore[no-untyped-def]
    return Plan(question="q", language="en", dataset="d.csv", summary="s", steps=list(steps))


def test_load_filter_and_window():
    plan = _plan(
        LoadStep(),
        FilterStep(column="a", op=">", value=1),
        WindowStep(column="d", last=3),
    )
    assert facts_provided(plan) == {"rows_loaded", "column_count", "rows_kept", "rows_removed"}


@pytest.mark.parametrize(
    ("step", "facts"),
    [
        (TableStep(output="t"), {"t_rows"}),
        (
            ResampleStep(output="m", date_column="d", freq="month"),
            {"m_peak_period", "m_low_period", "m_first_period", "m_last_period",
             "m_peak_value", "m_low_value", "m_total", "m_mean", "m_cv_pct", "m_periods",
             "m_series"},
        ),
        (ResampleStep(output="m", date_column="d", freq="month", record_facts=False), set()),
        (
            AggregateStep(output="g", by=["r"], metrics=[Metric(column="a", func="sum", name="s")]),
            {"g_groups", "g_top_group", "g_top_value"},
        ),
        (TopNStep(output="top", column="a"), {"top_count", "top_first_label", "top_first_value"}),
        (PivotStep(output="p", index="a", columns="b", values="c"), {"p_rows", "p_columns"}),
        (DescribeStep(), {"summary_rows", "summary_columns"}),
        (
            MissingStep(),
            {"missing_rows", "missing_missing_total", "missing_columns_with_missing",
             "missing_missing_list"},
        ),
        (
            CorrelateStep(columns=["a", "b"]),
            {"correlation_r", "correlation_strongest_pair", "correlation_strongest_r"},
        ),
        (
            OutliersStep(column="a"),
            {"outliers_count", "outliers_share_pct", "outliers_lower", "outliers_upper",
             "outliers_q1", "outliers_q3"},
        ),
        (
            RFMStep(user_column="u", date_column="d", amount_column="a",
                    reference_date=dt.date(2026, 12, 1)),
            {"rfm_users", "rfm_reference_date", "rfm_top_segment", "rfm_top_segment_users",
             "rfm_segment_counts"},
        ),
        (ChartStep(chart="bar", source="df", file="x.png"), set()),
        (PythonStep(code="pass"), set()),
        (AnswerStep(template="{rows_loaded}"), set()),
    ],
)  # fmt: skip
def test_step_facts(step, facts):
    assert step_facts(step) == facts


def test_template_fields_read_the_root_name():
    assert template_fields("{a:,.2f} and {b} {c[0]} {d.e} {{literal}}") == {"a", "b", "c", "d"}


def test_missing_facts():
    plan = _plan(LoadStep(), AnswerStep(template="{rows_loaded:,} {monthly_total}"))
    assert missing_facts(plan, "{rows_loaded:,} {monthly_total}") == {"monthly_total"}
