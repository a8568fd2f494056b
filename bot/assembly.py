"""Builds the pipeline from settings: the one place that picks implementations."""

from __future__ import annotations

from bot.pipeline import Pipeline
from bot.planner.rules import RulesPlanner
from bot.settings import Settings
from bot.store import Store
from sandbox.isolation import Isolation
from sandbox.sandbox_executor import SandboxExecutor


def build_isolation(settings: Settings) -> Isolation:
    return Isolation(
        drop_to_uid=settings.sandbox_uid,
        drop_to_gid=settings.sandbox_uid,
        allow_unisolated=settings.sandbox_allow_unisolated,
    )


def build_executor(settings: Settings) -> SandboxExecutor:
    """The sandbox as the settings describe it; its zygote starts on the first run."""
    return SandboxExecutor(
        work_root=settings.resolved_data_dir() / "work",
        workers=settings.sandbox_workers,
        isolation=build_isolation(settings),
    )


def build_pipeline(settings: Settings) -> Pipeline:
    data_dir = settings.resolved_data_dir()
    # Private to the bot: it holds uploads, caches and the store.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = Store(settings.resolved_db_path())
    # The LLM planner arrives with its own issue; until then the rules planner serves all.
    return Pipeline(settings, store, build_executor(settings), RulesPlanner())
