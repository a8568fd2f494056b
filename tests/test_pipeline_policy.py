"""The pipeline runs code only when the policy lets it: real store, ingest and sandbox;
only the planner is a stand-in, since the rules planner never writes risky code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.models import AnswerStep, Dataset, LoadStep, Plan, PythonStep, Request, Turn
from bot.pipeline import Pipeline
from bot.reply import Outcome
from bot.settings import Settings
from bot.store import Store
from sandbox.events import Event
from sandbox.sandbox_executor import SandboxExecutor

SAFE = "print('rows', len(df))"
NEEDS_APPROVAL = "import rich  # installed, but not on the allow-list\nprint('approved run')"
BLOCKED = "import subprocess\nsubprocess.run(['id'])"


class OneStepPlanner:
    """Plans a load, the given code, and an answer."""

    def __init__(self, code: str) -> None:
        self.code = code

    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan:
        return Plan(
            question=question,
            language="en",
            dataset=dataset.name,
            summary="custom code",
            steps=[
                LoadStep(),
                PythonStep(code=self.code),
                AnswerStep(template="{rows_loaded} rows"),
            ],
        )


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.outcome: Outcome | None = None

    def dataset(self, dataset: Dataset) -> None: ...
    def plan(self, plan: Plan) -> None: ...
    def code(self, code: str) -> None: ...

    def event(self, event: Event) -> None:
        self.events.append(event)

    def finish(self, outcome: Outcome) -> None:
        self.outcome = outcome


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("id,amount\n1,10\n2,20\n3,30\n", encoding="utf-8")
    return path


def _pipeline(tmp_path: Path, code: str) -> Pipeline:
    settings = Settings(data_dir=tmp_path / "data", db_path=tmp_path / "t.db")
    executor = SandboxExecutor(tmp_path / "work")
    return Pipeline(settings, Store(settings.db_path), executor, OneStepPlanner(code))


def test_safe_code_runs(tmp_path: Path, data: Path) -> None:
    reply = Recorder()
    outcome = _pipeline(tmp_path, SAFE).ask(Request(data=data, question="q"), reply)
    assert outcome.status == "ok", outcome.message
    assert outcome.answer == "3 rows"
    assert any(e.data.get("text") == "rows 3" for e in reply.events)
    assert reply.outcome is outcome


def test_blocked_code_never_runs_even_when_approved(tmp_path: Path, data: Path) -> None:
    pipeline = _pipeline(tmp_path, BLOCKED)
    reply = Recorder()
    outcome = pipeline.ask(Request(data=data, question="q", approved=True), reply)
    assert outcome.status == "blocked"
    assert "did not run" in outcome.message and "subprocess" in outcome.message
    assert {f["rule"] for f in outcome.findings} >= {"blocked-import"}
    assert reply.events == []  # nothing reached the sandbox
    assert "run" not in outcome.timings
    assert pipeline.store.get_run(outcome.run_id)["status"] == "blocked"


def test_code_needing_approval_waits_then_runs_when_approved(tmp_path: Path, data: Path) -> None:
    pipeline = _pipeline(tmp_path, NEEDS_APPROVAL)
    held = pipeline.ask(Request(data=data, question="q"), Recorder())
    assert held.status == "needs_approval"
    assert "--yes" in held.message and "rich" in held.message
    assert "run" not in held.timings

    approved = pipeline.ask(Request(data=data, question="q", approved=True), Recorder())
    # It runs; yaml may or may not be installed, but the policy no longer holds it back.
    assert "run" in approved.timings
    assert approved.status in {"ok", "error"}
