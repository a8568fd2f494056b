"""The runner with a scripted `ask`: prompts, scoring and the report's accuracies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bot.eval import EvalQuestion, build_prompt, load, run_eval
from bot.eval.report import QuestionResult
from bot.models import Request
from bot.reply import Outcome

SHIPPED = Path(__file__).resolve().parents[2] / "examples" / "eval"


def perfect(question: EvalQuestion) -> str:
    return "Here you go: " + " ".join(f"@{name}[{value}]" for name, value in question.labels)


def scripted(
    questions: list[EvalQuestion], answer: Callable[[int, EvalQuestion], Outcome]
) -> tuple[Callable[[Request], Outcome], list[Request]]:
    """An `ask` that answers the n-th question the way `answer` says, recording requests."""
    by_prompt = {build_prompt(q): (n, q) for n, q in enumerate(questions)}
    asked: list[Request] = []

    def ask(request: Request) -> Outcome:
        asked.append(request)
        n, question = by_prompt[request.question]
        return answer(n, question)

    return ask, asked


def ok(text: str) -> Outcome:
    return Outcome(status="ok", run_id="r", question="q", answer=text)


def test_prompt_holds_question_constraints_and_format() -> None:
    question = load(SHIPPED)[0]
    prompt = build_prompt(question)
    assert prompt.splitlines() == [
        question.question,
        f"Constraints: {question.constraints}",
        f"Answer format: {question.format}",
    ]
    bare = EvalQuestion(id="1", question="How many rows?", file_name="a.csv", table=Path("a"))
    assert build_prompt(bare) == "How many rows?"


def test_perfect_answers_score_one_everywhere() -> None:
    questions = load(SHIPPED)
    ask, asked = scripted(questions, lambda n, q: ok(perfect(q)))
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, result: QuestionResult) -> None:
        seen.append((done, total, result.id))

    report = run_eval(ask, questions, progress=progress)
    assert [r.data for r in asked] == [q.table for q in questions]  # the question's table
    assert report.accuracy.value == 1.0 and report.label_accuracy.value == 1.0
    assert report.by_concept and all(a.value == 1.0 for a in report.by_concept.values())
    assert report.by_level and all(a.value == 1.0 for a in report.by_level.values())
    assert report.errors == 0 and report.statuses == {"ok": len(questions)}
    assert seen == [(i + 1, len(questions), q.id) for i, q in enumerate(questions)]


def test_half_right_is_half_and_concepts_count_each_question() -> None:
    questions = load(SHIPPED)

    def answer(n: int, q: EvalQuestion) -> Outcome:
        # Even positions right; odd ones with every value spoiled.
        spoiled = " ".join(f"@{name}[{value}x]" for name, value in q.labels)
        return ok(perfect(q) if n % 2 == 0 else spoiled)

    ask, _ = scripted(questions, answer)
    report = run_eval(ask, questions)
    assert report.accuracy.value == 0.5
    assert report.label_accuracy.correct == sum(len(q.labels) for q in questions[::2])
    for concept, accuracy in report.by_concept.items():
        members = [n for n, q in enumerate(questions) if concept in q.concepts]
        assert accuracy.total == len(members)
        assert accuracy.correct == sum(1 for n in members if n % 2 == 0)


def test_an_error_outcome_is_wrong_and_counted_as_an_error() -> None:
    questions = load(SHIPPED)[:4]

    def answer(n: int, q: EvalQuestion) -> Outcome:
        if n == 1:  # a failed run whose message happens to quote the answer
            return Outcome("error", "r", "q", message=f"failed near {perfect(q)}")
        if n == 2:
            raise RuntimeError("sandbox fell over")
        return ok(perfect(q))

    ask, _ = scripted(questions, answer)
    report = run_eval(ask, questions)
    assert [r.correct for r in report.results] == [True, False, False, True]
    assert report.errors == 2 and report.statuses == {"error": 2, "ok": 2}
    assert report.results[2].message == "RuntimeError: sandbox fell over"
    assert report.accuracy.value == 0.5


def test_limit_and_json_report() -> None:
    questions = load(SHIPPED)
    ask, asked = scripted(questions, lambda n, q: ok(perfect(q) if n == 0 else "no idea"))
    report = run_eval(ask, questions, limit=2)
    assert len(asked) == 2
    data = json.loads(json.dumps(report.to_json()))
    assert data["questions"] == 2
    assert data["accuracy"] == {"correct": 1, "total": 2, "accuracy": 0.5}
    assert data["errors"] == 0
    first = data["results"][0]
    assert first["id"] == "0" and first["correct"] is True and first["status"] == "ok"
    assert first["labels"][0] == {
        "name": "mean_revenue",
        "expected": "27696.07",
        "got": "27696.07",
        "correct": True,
    }
    assert data["results"][1]["labels"][0]["got"] is None
    assert set(data["by_concept"]) == {c for q in questions[:2] for c in q.concepts}
    assert set(data["by_level"]) == {"easy"}
