"""The one orchestrator: ingest → plan → codegen → sandbox → reply, recorded in the store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from bot.codegen import generate_code, sandbox_input_name
from bot.errors import SandboxUnavailable, ThreadLabError
from bot.ingest import ingest
from bot.models import Dataset, Plan, Request
from bot.reply import Outcome, Reply, TablePreview
from bot.review import ReviewResult, review
from bot.settings import Settings
from bot.store import Store
from sandbox.errors import SandboxError
from sandbox.executor import Executor, Job
from sandbox.result import RunResult


class Planner(Protocol):
    def plan(self, question: str, dataset: Dataset) -> Plan: ...


class Timer:
    """Seconds per pipeline stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 4)

    def total(self) -> dict[str, float]:
        return {**self.seconds, "total": round(time.perf_counter() - self._started, 4)}


class Pipeline:
    def __init__(
        self, settings: Settings, store: Store, executor: Executor, planner: Planner
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.planner = planner

    def ask(self, request: Request, reply: Reply) -> Outcome:
        """Answers the request, recording the run; never raises a ThreadLabError."""
        run_id = self.store.start_run(request.question, None)
        outcome = Outcome(status="error", run_id=run_id, question=request.question)
        timer = Timer()
        try:
            self._ask(request, reply, outcome, timer)
        except ThreadLabError as exc:
            outcome.status, outcome.message = "error", exc.user_message
        outcome.timings = timer.total()
        self._record(outcome)
        reply.finish(outcome)
        return outcome

    def _ask(self, request: Request, reply: Reply, outcome: Outcome, timer: Timer) -> None:
        with timer.stage("ingest"):
            dataset = ingest(request.data, self.settings, request.sheet)
            self.store.save_dataset(dataset)
            self.store.finish_run(outcome.run_id, dataset_id=dataset.id, status="running")
        reply.dataset(dataset)

        with timer.stage("plan"):
            plan = self.planner.plan(request.question, dataset)
        outcome.plan = plan
        reply.plan(plan)
        if not plan.understood:
            # The planner's answer explains what it understood; nothing runs.
            outcome.message = outcome.answer = _unformatted_answer(plan)
            return

        with timer.stage("codegen"):
            outcome.code = generate_code(plan)
        reply.code(outcome.code)

        with timer.stage("review"):
            verdict = review(outcome.code)
        outcome.findings = [f.to_json() for f in verdict.findings]
        held = verdict.status == "needs_approval" and not request.approved
        if verdict.status == "blocked" or held:
            outcome.status, outcome.message = verdict.status, _held_back(verdict)
            return

        target = request.out_dir or self.settings.resolved_data_dir() / "runs" / outcome.run_id
        target.mkdir(parents=True, exist_ok=True)
        (target / "analysis.py").write_text(outcome.code, encoding="utf-8")
        job = Job(
            code=outcome.code,
            inputs={sandbox_input_name(dataset.name): Path(dataset.cache_path)},
            artifacts_dir=target,
            limits=self.settings.sandbox_limits(),
        )
        with timer.stage("run"):
            try:
                result = self.executor.run(job, reply.event)
            except SandboxError as exc:
                raise SandboxUnavailable(f"The analysis could not run: {exc}") from exc
        self._collect(result, target, outcome)

    def _collect(self, result: RunResult, target: Path, outcome: Outcome) -> None:
        files = {a.name: a.path for a in result.artifacts}
        preview = self.settings.preview_rows
        for event in result.events:
            if event.type == "table":
                d = event.data
                outcome.tables.append(
                    TablePreview(
                        name=str(d.get("name", "")),
                        title=str(d.get("title", "")),
                        columns=list(d.get("columns", [])),
                        rows=list(d.get("rows", []))[:preview],
                        total_rows=int(d.get("total_rows", 0)),
                        csv_path=files.get(str(d.get("path", ""))),
                    )
                )
            elif event.type == "image" and str(event.data.get("path")) in files:
                outcome.images.append(files[str(event.data["path"])])
            elif event.type == "answer":
                outcome.answer = str(event.data.get("text", ""))
        outcome.artifacts = [target / "analysis.py", *files.values()]
        if result.ok:
            outcome.status = "ok"
        else:
            outcome.status, outcome.message = "error", _run_failure(result)

    def _record(self, outcome: Outcome) -> None:
        self.store.finish_run(
            outcome.run_id,
            planner=type(self.planner).__name__,
            plan=outcome.plan.model_dump(mode="json") if outcome.plan else None,
            code=outcome.code or None,
            status=outcome.status,
            message=outcome.message,
            answer=outcome.answer,
            timings=outcome.timings,
            artifacts=[str(p) for p in outcome.artifacts],
        )


def _unformatted_answer(plan: Plan) -> str:
    """An answer template with no facts: undouble the braces a template escapes."""
    template = plan.steps[-1].template if plan.steps[-1].kind == "answer" else plan.summary
    return template.replace("{{", "{").replace("}}", "}")


def _held_back(verdict: ReviewResult) -> str:
    """Why the code did not run, with the policy's findings a person can check."""
    lead = (
        "The code was blocked by the code policy and did not run"
        if verdict.status == "blocked"
        else "The code needs an approver's OK before it runs (threadlab ask --yes)"
    )
    lines = [f"line {f.line}: {f.reason} [{f.rule}]" for f in verdict.findings]
    return f"{lead}:\n" + "\n".join(lines)


def _run_failure(result: RunResult) -> str:
    return f"The analysis failed in the sandbox ({result.status}): {result.message}"
