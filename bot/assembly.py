"""Builds the pipeline from settings: the one place that picks implementations."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from bot.models import Dataset
from bot.pii.boundary import KnownValues, LlmBoundary
from bot.pii.secret import installation_secret
from bot.pii.tokenise import Tokeniser
from bot.pipeline import Pipeline
from bot.planner.rules import RulesPlanner
from bot.settings import Settings
from bot.store import Store
from sandbox.isolation import Isolation
from sandbox.sandbox_executor import SandboxExecutor

if TYPE_CHECKING:
    from bot.metrics import Metrics


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


def build_pipeline(settings: Settings, metrics: Metrics | None = None) -> Pipeline:
    data_dir = settings.resolved_data_dir()
    # Private to the bot: it holds uploads, caches and the store.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = Store(settings.resolved_db_path())
    executor = build_executor(settings)
    rules = RulesPlanner()
    use_llm = settings.planner == "llm" or (
        settings.planner == "auto" and settings.llm_configured()
    )
    if not use_llm:
        return Pipeline(settings, store, executor, rules, metrics=metrics)
    # Imported here: the openai package takes half a second to load, which a run
    # without an LLM (the rules planner) should not pay.
    from bot.llm.assist import LlmAssist
    from bot.llm.client import LlmClient
    from bot.planner.llm import FallbackPlanner, LlmPlanner

    client = LlmClient(settings)
    boundary_for = functools.partial(_boundary, settings, store)
    planner = LlmPlanner(client, boundary_for, budget_tokens=settings.llm_prompt_tokens)
    assist = LlmAssist(client, boundary_for)
    return Pipeline(
        settings, store, executor, FallbackPlanner(planner, rules), assist, metrics=metrics
    )


def _boundary(settings: Settings, store: Store, dataset: Dataset) -> LlmBoundary:
    """The way out to the LLM for one dataset: its known raw values are checked too."""
    key = installation_secret(settings.resolved_data_dir().absolute())
    return LlmBoundary(Tokeniser(key), KnownValues(store.tokens(dataset.id)))
