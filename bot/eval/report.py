"""What an evaluation run found: one result per question, and the accuracies from them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.eval.scoring import LabelResult


@dataclass(frozen=True)
class Accuracy:
    correct: int
    total: int

    @property
    def value(self) -> float:
        # An empty group has no accuracy to speak of; 0.0 keeps the field a number.
        return self.correct / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"correct": self.correct, "total": self.total, "accuracy": round(self.value, 4)}


@dataclass(frozen=True)
class QuestionResult:
    id: str
    question: str
    concepts: list[str]
    level: str
    correct: bool
    labels: list[LabelResult]
    answer: str
    status: str  # the pipeline's Outcome status, or "error" when asking raised
    message: str  # why, when the status is not ok
    duration_s: float

    @property
    def failed(self) -> bool:
        """The pipeline did not produce an answer (as opposed to a wrong answer)."""
        return self.status != "ok"


@dataclass(frozen=True)
class EvalReport:
    results: list[QuestionResult] = field(default_factory=list)

    @property
    def accuracy(self) -> Accuracy:
        """By question: a question is right only when all its labels are."""
        return _count(self.results)

    @property
    def label_accuracy(self) -> Accuracy:
        labels = [label for r in self.results for label in r.labels]
        return Accuracy(sum(label.correct for label in labels), len(labels))

    @property
    def by_concept(self) -> dict[str, Accuracy]:
        """A question counts towards each of its concepts, so these may add up to more
        questions than were asked."""
        return _grouped(self.results, lambda r: r.concepts or ["(none)"])

    @property
    def by_level(self) -> dict[str, Accuracy]:
        return _grouped(self.results, lambda r: [r.level or "(none)"])

    @property
    def errors(self) -> int:
        return sum(r.failed for r in self.results)

    @property
    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.results).items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "accuracy": self.accuracy.to_json(),
            "label_accuracy": self.label_accuracy.to_json(),
            "by_concept": {k: v.to_json() for k, v in self.by_concept.items()},
            "by_level": {k: v.to_json() for k, v in self.by_level.items()},
            "errors": self.errors,
            "statuses": self.statuses,
            "results": [_result_json(r) for r in self.results],
        }


def _count(results: Iterable[QuestionResult]) -> Accuracy:
    results = list(results)
    return Accuracy(sum(r.correct for r in results), len(results))


def _grouped(
    results: list[QuestionResult], keys: Callable[[QuestionResult], list[str]]
) -> dict[str, Accuracy]:
    groups: dict[str, list[QuestionResult]] = {}
    for result in results:
        for key in dict.fromkeys(keys(result)):  # a concept listed twice counts once
            groups.setdefault(key, []).append(result)
    return {key: _count(groups[key]) for key in sorted(groups)}


def _result_json(result: QuestionResult) -> dict[str, Any]:
    data = asdict(result)
    data["duration_s"] = round(result.duration_s, 3)
    return data
