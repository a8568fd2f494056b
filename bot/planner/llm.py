"""The LLM planner: a `Plan` as validated JSON from any OpenAI-compatible endpoint.

The plan is asked for with a JSON schema (the client falls back to JSON mode, then to
text with the JSON extracted), validated with pydantic and against the dataset's real
columns and the answer template's facts, and re-asked with the error when it does not
hold, a bounded number of times. When the endpoint is unreachable, `FallbackPlanner`
hands the question to the rules planner and says so in the plan's notes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from bot.codegen import generate_code
from bot.errors import PlanningError, ThreadLabError
from bot.llm.client import LlmClient, LlmUnavailable
from bot.llm.prompts import plan_messages, reask_message
from bot.models import Dataset, Plan, Turn
from bot.pii.boundary import LlmBoundary
from bot.planner.language import detect_language
from bot.planner.rules import RulesPlanner

log = logging.getLogger(__name__)

# Column-bearing fields of the step kinds: each must name a real column (or one a
# derive step made).
_COLUMN_FIELDS = ("column", "date_column", "value_column", "user_column", "amount_column",
                  "order_column", "index", "values", "columns", "group_by")  # fmt: skip
_COLUMN_LISTS = ("by", "columns")


class LlmPlanner:
    def __init__(
        self,
        client: LlmClient,
        boundary_for: Callable[[Dataset], LlmBoundary],
        *,
        reasks: int = 2,
        budget_tokens: int = 6000,
    ) -> None:
        self.client = client
        self._boundary_for = boundary_for
        self._reasks = reasks
        self._budget = budget_tokens

    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan:
        if not question.strip():
            raise PlanningError("The question is empty: ask something about the data.")
        boundary = self._boundary_for(dataset)
        messages = plan_messages(
            question, dataset, _sample(dataset), history, boundary, self._budget
        )
        schema = Plan.model_json_schema()
        error = ""
        for _ in range(1 + self._reasks):
            try:
                text = self.client.complete_json(
                    messages, schema=schema, name="plan", purpose="plan"
                )
            except ValueError as exc:  # no JSON object in the reply at all
                text, error = "", str(exc)
            else:
                try:
                    return self._checked(text, question, dataset)
                except (ValidationError, PlanningError, ValueError) as exc:
                    error = _short(exc)
            log.info("LLM plan rejected, re-asking: %s", error)
            messages = [
                *messages,
                {"role": "assistant", "content": boundary.outgoing(text or "(no JSON)")},
                reask_message(error, boundary),
            ]
        raise PlanningError(f"The LLM did not produce a valid plan: {error}")

    def _checked(self, text: str, question: str, dataset: Dataset) -> Plan:
        plan = Plan.model_validate_json(text)
        # The question and file are ours to state, whatever the model echoed.
        plan = plan.model_copy(
            update={"question": question, "dataset": dataset.name, "understood": True}
        )
        unknown = _unknown_columns(plan, dataset)
        if unknown:
            raise PlanningError(
                f"unknown columns {sorted(unknown)}; the columns are {dataset.profile.names}"
            )
        if plan.steps[0].kind != "load":
            raise PlanningError("the first step must be load")
        generate_code(plan)  # answer templates must use facts the steps record
        return plan


class FallbackPlanner:
    """The LLM first; the rules planner when the LLM cannot be reached."""

    def __init__(self, primary: LlmPlanner, fallback: RulesPlanner) -> None:
        self.primary = primary
        self.fallback = fallback

    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan:
        try:
            return self.primary.plan(question, dataset, history)
        except LlmUnavailable as exc:
            plan = self.fallback.plan(question, dataset)
            note = (
                f"The LLM could not be reached ({exc.user_message}); the built-in rules "
                "planner answered instead."
                if detect_language(question) == "en"
                else f"无法连接大模型（{exc.user_message}），已改用内置规则规划器回答。"
            )
            return plan.model_copy(update={"notes": [*plan.notes, note]})


def _sample(dataset: Dataset, rows: int = 5) -> pd.DataFrame | None:
    """The table's first rows, read without reading the rest (it may be 10 GB)."""
    try:
        batches = pq.ParquetFile(Path(dataset.cache_path)).iter_batches(batch_size=rows)
        first = next(batches, None)
    except (OSError, ValueError, pa.ArrowException):
        return None
    return None if first is None else first.to_pandas().head(rows)


def _unknown_columns(plan: Plan, dataset: Dataset) -> set[str]:
    known = set(dataset.profile.names)
    unknown: set[str] = set()
    for step in plan.steps:
        data = step.model_dump()
        if step.kind == "derive":
            known.add(str(data["name"]))
        if step.kind in {"chart", "table", "answer", "python", "load"}:
            continue  # charts read results; python checks itself when it runs
        for field in _COLUMN_FIELDS:
            value = data.get(field)
            if isinstance(value, str) and value not in known:
                unknown.add(value)
        for field in _COLUMN_LISTS:
            values = data.get(field)
            if isinstance(values, list):
                unknown |= {v for v in values if isinstance(v, str) and v not in known}
        for metric in data.get("metrics") or []:
            if metric.get("column") not in known:
                unknown.add(str(metric.get("column")))
    return unknown


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors()[:5]
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    if isinstance(exc, ThreadLabError):
        return exc.user_message
    return str(exc)
