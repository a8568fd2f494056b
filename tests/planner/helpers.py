"""Small readers of plans shared by the planner tests."""

from __future__ import annotations

from typing import Any

from bot.codegen.facts import facts_provided, template_fields
from bot.models import AggregateStep, AnswerStep, Dataset, Plan, Step
from bot.planner.rules import RulesPlanner

_INT_SUFFIXES = (
    "rows_loaded", "column_count", "rows_kept", "rows_removed", "_rows", "_periods",
    "_groups", "_count", "_columns", "_missing_total", "_columns_with_missing", "_users",
    "_top_segment_users",
)  # fmt: skip
_STR_SUFFIXES = (
    "_period", "_series", "_top_group", "_first_label", "_missing_list", "_strongest_pair",
    "_reference_date", "_top_segment", "_segment_counts",
)  # fmt: skip


def plan(question: str, dataset: Dataset) -> Plan:
    return RulesPlanner().plan(question, dataset)


def kinds(p: Plan) -> list[str]:
    return [s.kind for s in p.steps]


def steps_of(p: Plan, kind: str) -> list[Step]:
    return [s for s in p.steps if s.kind == kind]


def template(p: Plan) -> str:
    last = p.steps[-1]
    assert isinstance(last, AnswerStep)
    return last.template


def fake_facts(p: Plan, dataset: Dataset) -> dict[str, Any]:
    """Plausible values of the right type for every fact the plan provides.

    An aggregate's top value is a date string when it sorts by a date metric, as codegen
    records it; a numeric format spec on it would fail, which is what this catches.
    """
    date_valued = set()
    for s in p.steps:
        if isinstance(s, AggregateStep):
            sort = next(m for m in s.metrics if m.name == s.sort_by)
            column = dataset.profile.column(sort.column)
            if column is not None and column.kind == "datetime" and sort.func in ("max", "min"):
                date_valued.add(f"{s.output}_top_value")
    facts: dict[str, Any] = {}
    for name in facts_provided(p):
        if name in date_valued:
            facts[name] = "2026-11-30"
        elif name.endswith(_INT_SUFFIXES):
            facts[name] = 12
        elif name.endswith(_STR_SUFFIXES):
            facts[name] = "2026Q3"
        else:
            facts[name] = 1234.5
    return facts


def unprovided(p: Plan) -> set[str]:
    return template_fields(template(p)) - facts_provided(p)
