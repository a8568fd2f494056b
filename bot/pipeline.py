"""The one orchestrator: ingest → plan → codegen → sandbox → reply, recorded in the store."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.codegen import generate_code, sandbox_input_name, user_code
from bot.codegen.engine import choose_engine
from bot.errors import SandboxUnavailable, ThreadLabError
from bot.history import CodeHistory, HistoryError, RunRecord
from bot.ingest import ingest_with_tokens
from bot.logs import log_context
from bot.models import Dataset, Plan, Request, Turn
from bot.pii.restore import restore_text, restore_value
from bot.reply import Outcome, Reply, TablePreview
from bot.review import ReviewResult, review
from bot.settings import Settings
from bot.store import Store
from sandbox.errors import SandboxError
from sandbox.events import Event
from sandbox.executor import Executor, Job
from sandbox.result import RunResult, RunStatus

if TYPE_CHECKING:  # prometheus_client and openai load only where they are wanted
    from bot.llm.assist import LlmAssist
    from bot.llm.client import LlmCall
    from bot.metrics import Metrics

log = logging.getLogger(__name__)


class Planner(Protocol):
    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan: ...


class Timer:
    """Seconds per pipeline stage, in the order the stages first ran (a stage that runs
    again, such as a repaired run, adds to its total)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.seconds[name] = round(self.seconds.get(name, 0.0) + spent, 4)

    def total(self) -> dict[str, float]:
        return {**self.seconds, "total": round(time.perf_counter() - self._started, 4)}


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        executor: Executor,
        planner: Planner,
        assist: LlmAssist | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.planner = planner
        self.assist = assist  # repairs failed runs and writes answers, when an LLM is set
        self.metrics = metrics
        self.history = CodeHistory(settings.resolved_code_repo())

    def ask(self, request: Request, reply: Reply) -> Outcome:
        """Answers the request, recording the run; never raises a ThreadLabError."""
        run_id = self.store.start_run(request.question, None, request.thread, request.user)
        with log_context(run_id=run_id, thread=request.thread):
            # The log's redaction filter masks PII and tokens pasted into the question.
            log.info("run started: %s", request.question)
            outcome = self._answer(run_id, request, reply)
            log.info("run finished: %s in %.2f s", outcome.status, outcome.timings["total"])
        return outcome

    def _answer(self, run_id: str, request: Request, reply: Reply) -> Outcome:
        outcome = Outcome(status="error", run_id=run_id, question=request.question)
        timer = Timer()
        datasets: list[Dataset] = []
        sandbox_runs: list[RunStatus] = []  # a repaired request runs more than once
        # One client serves every thread: record only the calls this request makes.
        recording: AbstractContextManager[list[LlmCall]] = (
            self.assist.client.recording() if self.assist else nullcontext([])
        )
        with recording as calls:
            try:
                self._ask(request, reply, outcome, timer, datasets, sandbox_runs)
            except ThreadLabError as exc:
                outcome.status, outcome.message = "error", exc.user_message
        outcome.timings = timer.total()
        if self.assist:
            outcome.llm = _usage(calls)
            outcome.timings["llm"] = outcome.llm["seconds"]
            self.store.save_llm_calls(run_id, [dataclasses.asdict(c) for c in calls])
        self._record(outcome)  # with tokens: the record never holds restored values
        self._commit_history(outcome, request, datasets)
        restoring = self.settings.pii_restore == "thread"
        for dataset in datasets:
            if dataset.masked and restoring:
                _restore(outcome, self.store.tokens(dataset.id))
        finishing = time.perf_counter()
        try:
            reply.finish(outcome)
        finally:  # a reply that failed to post still ran, and counts
            if self.metrics is not None:
                spent = time.perf_counter() - finishing
                self.metrics.observe_outcome(outcome, sandbox_runs, reply_seconds=spent)
        return outcome

    def _ask(
        self,
        request: Request,
        reply: Reply,
        outcome: Outcome,
        timer: Timer,
        datasets: list[Dataset],
        sandbox_runs: list[RunStatus],
    ) -> None:
        with timer.stage("ingest"):
            ingested = ingest_with_tokens(
                request.data, self.settings, request.sheet, progress=lambda line: _say(reply, line)
            )
            dataset = ingested.dataset
            self.store.save_dataset(dataset)
            if ingested.tokens:
                self.store.save_tokens(dataset.id, ingested.tokens)
            self.store.finish_run(outcome.run_id, dataset_id=dataset.id, status="running")
        datasets.append(dataset)
        outcome.masked_columns = [m.model_dump() for m in dataset.masked]
        reply.dataset(dataset)

        plan: Plan | None = None
        input_name = sandbox_input_name(dataset.name)
        if request.replay_of is not None:
            outcome.code, input_name = self._stored_code(request.replay_of)
        elif request.code is not None:
            outcome.code = user_code(request.code, dataset.name)  # no plan to make
        else:
            with timer.stage("plan"):
                plan = self.planner.plan(request.question, dataset, self._history(request, outcome))
            outcome.plan = plan
            reply.plan(plan)
            if not plan.understood:
                # The planner's answer explains what it understood; nothing runs.
                outcome.message = outcome.answer = _unformatted_answer(plan)
                return
            with timer.stage("codegen"):
                engine = choose_engine(dataset, self.settings.duckdb_min_rows)
                if engine.kind == "duckdb":
                    _say(reply, f"{dataset.profile.rows:,} rows: the analysis runs in DuckDB.")
                outcome.code = generate_code(plan, engine)
        reply.code(outcome.code)

        if not self._passes_review(outcome.code, request, outcome, timer):
            return
        target = request.out_dir or self.settings.resolved_data_dir() / "runs" / outcome.run_id
        target.mkdir(parents=True, exist_ok=True)
        result = self._run(outcome.code, dataset, target, reply, timer, input_name)
        sandbox_runs.append(result.status)
        attempts = self.settings.llm_repair_attempts if self.assist else 0
        for attempt in range(1, attempts + 1):
            if result.ok:
                break
            _say(reply, f"Attempt {attempt} failed ({result.status}: {result.message}); "
                 "asking the LLM for a fix.")  # fmt: skip
            with timer.stage("repair"):
                assert self.assist is not None
                fixed = self.assist.repair(request.question, outcome.code, result, dataset)
            if fixed is None:
                _say(reply, "The LLM gave no fix; keeping the first error.")
                break
            outcome.code = fixed
            reply.code(fixed)
            if not self._passes_review(fixed, request, outcome, timer):
                return
            _say(reply, f"Attempt {attempt + 1}: running the fixed code.")
            result = self._run(fixed, dataset, target, reply, timer, input_name)
            sandbox_runs.append(result.status)
        self._collect(result, target, outcome)
        if result.ok and plan is not None and self.assist is not None:
            with timer.stage("answer"):
                from bot.llm.assist import results_text  # the LLM client loads only with an LLM

                results = results_text(outcome.tables, outcome.answer, result.stdout)
                written = self.assist.answer(plan, results, dataset)
            if written:
                outcome.answer = written

    def _history(self, request: Request, outcome: Outcome) -> list[Turn]:
        if not request.thread:
            return []
        turns = []
        for row in self.store.thread_turns(request.thread, before_run=outcome.run_id):
            plan = json.loads(row["plan"]) if row["plan"] else {}
            result = row["answer"] or row["message"] or row["status"]
            turns.append(
                Turn(
                    question=row["question"],
                    summary=str(plan.get("summary", "")),
                    result=result[:500],
                )
            )
        return turns

    def _passes_review(self, code: str, request: Request, outcome: Outcome, timer: Timer) -> bool:
        with timer.stage("review"):
            verdict = review(code)
        outcome.findings = [f.to_json() for f in verdict.findings]
        held = verdict.status == "needs_approval" and not request.approved
        if verdict.status == "blocked" or held:
            outcome.status, outcome.message = verdict.status, _held_back(verdict)
            return False
        return True

    def _run(
        self,
        code: str,
        dataset: Dataset,
        target: Path,
        reply: Reply,
        timer: Timer,
        input_name: str,
    ) -> RunResult:
        (target / "analysis.py").write_text(code, encoding="utf-8")
        job = Job(
            code=code,
            inputs={input_name: Path(dataset.cache_path)},
            artifacts_dir=target,
            limits=self.settings.sandbox_limits(),
        )
        with timer.stage("run"):
            try:
                return self.executor.run(job, reply.event)
            except SandboxError as exc:
                raise SandboxUnavailable(f"The analysis could not run: {exc}") from exc

    def _stored_code(self, run_id: str) -> tuple[str, str]:
        """A stored run's code and the input name it reads (that of its own file)."""
        stored = self.store.get_run(run_id)
        if not stored.get("code"):
            raise ThreadLabError(f"Run {run_id} has no code to run again.")
        row = self.store.dataset_row(str(stored.get("dataset_id") or ""))
        name = str(row["name"]) if row else "data"
        return str(stored["code"]), sandbox_input_name(name)

    def replay(self, run_id: str, data: Path | None, reply: Reply) -> Outcome:
        """Runs a stored run's code again, on its own file or on `data`."""
        stored = self.store.get_run(run_id)
        if data is None:
            row = self.store.dataset_row(str(stored.get("dataset_id") or ""))
            if row is None:
                raise ThreadLabError(f"Run {run_id} has no file on record; pass --data.")
            data = Path(str(row["source_path"]))
        question = f"Rerun of {run_id}: {stored['question']}"
        return self.ask(Request(data=data, question=question, replay_of=run_id), reply)

    def _commit_history(self, outcome: Outcome, request: Request, datasets: list[Dataset]) -> None:
        """One commit per run that produced code; history must never fail a run."""
        if not outcome.code:
            return
        record = RunRecord(
            run_id=outcome.run_id,
            question=request.question,
            user=request.user,
            thread=request.thread,
            status=outcome.status,
            plan=outcome.plan.model_dump(mode="json") if outcome.plan else None,
            code=outcome.code,
            # The dataset id is a SHA-256 of the file's bytes (shortened): the input hash.
            inputs={d.name: d.id for d in datasets},
        )
        try:
            self.history.commit(record)
        except (HistoryError, OSError) as exc:
            log.warning("run %s not committed to the code history: %s", outcome.run_id, exc)

    def _collect(self, result: RunResult, target: Path, outcome: Outcome) -> None:
        files = {a.name: a.path for a in result.artifacts}
        outcome.sandbox = {
            "status": result.status,
            "exit_code": result.exit_code,
            "duration_s": round(result.duration_s, 3),
            "peak_memory_bytes": result.peak_memory_bytes,
        }
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
                        saved_rows=_optional_int(d.get("saved_rows")),
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
            outcome.status, outcome.message = "error", _run_failure(result, self.settings)

    def _record(self, outcome: Outcome) -> None:
        self.store.finish_run(
            outcome.run_id,
            planner=type(self.planner).__name__,
            llm=outcome.llm or None,
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


def _run_failure(result: RunResult, settings: Settings) -> str:
    message = f"The analysis failed in the sandbox ({result.status}): {result.message}"
    if result.status == "out_of_memory":
        # What the person (or operator) can change; the LLM repair gets its own hint.
        message += (
            f". Tables of {settings.duckdb_min_rows:,} rows or more are analysed by DuckDB, "
            "which spills to disk: lower THREADLAB_DUCKDB_MIN_ROWS, raise "
            "THREADLAB_SANDBOX_MEMORY_MB, or ask about fewer columns or a shorter period."
        )
    return message


def _restore(outcome: Outcome, tokens: dict[str, str]) -> None:
    """Real values in place of tokens, for the person who uploaded the file. Only the
    reply changes: the cache, the store's run record and anything an LLM sees keep
    the tokens."""
    outcome.answer = restore_text(outcome.answer, tokens)
    outcome.tables = [
        dataclasses.replace(t, rows=[[restore_value(v, tokens) for v in row] for row in t.rows])
        for t in outcome.tables
    ]


def _optional_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _say(reply: Reply, text: str) -> None:
    """A line of the pipeline's own in the run's log (repair attempts)."""
    reply.event(Event("log", {"stream": "stderr", "text": f"[threadlab] {text}"}))


def _usage(calls: Sequence[LlmCall]) -> dict[str, Any]:
    return {
        "calls": len(calls),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "seconds": round(sum(c.latency_s for c in calls), 4),
        "failed": sum(1 for c in calls if c.error),
    }
