"""Builds the pipeline from settings: the one place that picks implementations."""

from __future__ import annotations

from bot.pipeline import Pipeline
from bot.planner.rules import RulesPlanner
from bot.settings import Settings
from bot.store import Store
from sandbox.subprocess_executor import SubprocessExecutor


def build_pipeline(settings: Settings) -> Pipeline:
    data_dir = settings.resolved_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_db_path())
    executor = SubprocessExecutor(work_root=data_dir / "work")
    # The LLM planner arrives with its own issue; until then the rules planner serves all.
    return Pipeline(settings, store, executor, RulesPlanner())
