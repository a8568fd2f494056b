"""The facts each step's generated code records, by name: what an answer template may use.

This is codegen's contract with planners: `steps.py` records exactly these names.
"""

from __future__ import annotations

import string

from bot.models import (
    AggregateStep,
    CorrelateStep,
    DescribeStep,
    FilterStep,
    LoadStep,
    MissingStep,
    OutliersStep,
    PivotStep,
    Plan,
    PythonStep,
    ResampleStep,
    RFMStep,
    Step,
    TableStep,
    TopNStep,
    WindowStep,
)

_SUFFIXES: dict[type, tuple[str, ...]] = {
    TableStep: ("rows",),
    ResampleStep: (
        "peak_period", "low_period", "first_period", "last_period", "peak_value",
        "low_value", "total", "mean", "cv_pct", "periods", "series",
    ),
    AggregateStep: ("groups", "top_group", "top_value"),
    TopNStep: ("count", "first_label", "first_value"),
    PivotStep: ("rows", "columns"),
    DescribeStep: ("rows", "columns"),
    MissingStep: ("rows", "missing_total", "columns_with_missing", "missing_list"),
    CorrelateStep: ("r", "strongest_pair", "strongest_r"),
    OutliersStep: ("count", "share_pct", "lower", "upper", "q1", "q3"),
    RFMStep: (
        "users", "reference_date", "top_segment", "top_segment_users", "segment_counts",
    ),
}  # fmt: skip


_WITH_OUTPUT = (
    TableStep, ResampleStep, AggregateStep, TopNStep, PivotStep, DescribeStep, MissingStep,
    CorrelateStep, OutliersStep, RFMStep,
)  # fmt: skip


def step_facts(step: Step) -> set[str]:
    """The fact names one step provides."""
    if isinstance(step, LoadStep):
        return {"rows_loaded", "column_count"}
    if isinstance(step, (FilterStep, WindowStep)):
        return {"rows_kept", "rows_removed"}
    if isinstance(step, ResampleStep) and not step.record_facts:
        return set()
    if isinstance(step, PythonStep):
        return set(step.facts)  # declared by the planner; the code sets them
    if not isinstance(step, _WITH_OUTPUT):
        return set()  # chart, derive and answer record nothing
    # Facts are keyed by the step's output name, as codegen records them.
    return {f"{step.output}_{suffix}" for suffix in _SUFFIXES[type(step)]}


def facts_provided(plan: Plan) -> set[str]:
    """Every fact name the plan's steps record, for validating its answer template."""
    provided: set[str] = set()
    for step in plan.steps:
        provided |= step_facts(step)
    return provided


def template_fields(template: str) -> set[str]:
    """The fact names a template reads (`{a:,.2f}` → a; `{a[0]}` and `{a.b}` → a)."""
    names: set[str] = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        root = field.split(".", 1)[0].split("[", 1)[0]
        names.add(root)
    return names


def missing_facts(plan: Plan, template: str) -> set[str]:
    """Names the template reads that no step of the plan provides."""
    return template_fields(template) - facts_provided(plan)


def fact_suffixes() -> dict[str, tuple[str, ...]]:
    """Step kind -> the suffixes of the facts it records as `<output>_<suffix>`, for
    telling a planner what an answer template may use."""
    kinds: dict[type, str] = {}
    for cls in _SUFFIXES:
        kinds[cls] = cls.model_fields["kind"].default  # type: ignore[attr-defined]
    return {kinds[cls]: suffixes for cls, suffixes in _SUFFIXES.items()}
