"""Asks each question of a set, one after another, and scores the answers.

Sequential on purpose: the sandbox has its own worker pool, and one question at a time
keeps a run's order, timings and store records easy to read and to repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot.eval.dataset import EvalQuestion
from bot.eval.report import EvalReport, QuestionResult
from bot.eval.scoring import score
from bot.models import Request
from bot.reply import Outcome

Ask = Callable[[Request], Outcome]
Progress = Callable[[int, int, QuestionResult], None]  # (done, total, latest result)


def build_prompt(question: EvalQuestion) -> str:
    """The question as DABench poses it: text, then its constraints and answer format."""
    parts = [question.question.strip()]
    if question.constraints.strip():
        parts.append(f"Constraints: {question.constraints.strip()}")
    if question.format.strip():
        parts.append(f"Answer format: {question.format.strip()}")
    return "\n".join(parts)


def run_eval(
    ask: Ask,
    questions: Sequence[EvalQuestion],
    limit: int | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Asks the first `limit` questions (all when None) and scores each answer."""
    chosen = list(questions if limit is None else questions[:limit])
    results: list[QuestionResult] = []
    for done, question in enumerate(chosen, start=1):
        result = _ask_one(ask, question)
        results.append(result)
        if progress is not None:
            progress(done, len(chosen), result)
    return EvalReport(results)


def _ask_one(ask: Ask, question: EvalQuestion) -> QuestionResult:
    request = Request(data=question.table, question=build_prompt(question))
    started = time.perf_counter()
    try:
        outcome = ask(request)
        status, message, answer = outcome.status, outcome.message, outcome.answer
    except Exception as exc:
        # The pipeline is what is being measured: a crash on one question is a result
        # for that question, not a reason to lose the scores of all the others.
        status, message, answer = "error", f"{type(exc).__name__}: {exc}", ""
    duration = time.perf_counter() - started
    # A failed run scores nothing, even if its message happens to hold @name[value] text.
    scored = score(question.labels, answer if status == "ok" else "")
    return QuestionResult(
        id=question.id,
        question=question.question,
        concepts=list(question.concepts),
        level=question.level,
        correct=scored.correct,
        labels=scored.labels,
        answer=answer,
        status=status,
        message=message,
        duration_s=duration,
    )
