"""Scores one answer against its labels, the way InfiAgent-DABench does.

An answer names its values as `@name[value]` anywhere in its text. A label matches when

- both sides read as numbers and either differ by less than 1e-6, or the answer, rounded
  to as many decimals as the label is written with, equals the label. DABench labels are
  the exact result rounded as the question's format asks ("round to two decimals"), so
  an answer that kept more digits is still right: label "34.65" accepts 34.6456. "Rounded
  equals" means |got - expected| <= half a unit in the label's last place, so a tie such
  as 34.645 counts whichever way the answer's rounding would have gone;
- otherwise the two texts are equal ignoring case, surrounding whitespace and one pair
  of surrounding quotes ("North" = north).

A question is correct only when every one of its labels matches (DABench's accuracy by
question); the per-label results are kept for the per-label accuracy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

_ANSWER = re.compile(r"@(\w+)\[([^\]]*)\]")
_QUOTES = ("'", '"', "`")
ABSOLUTE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LabelResult:
    name: str
    expected: str
    got: str | None  # None: the answer has no @name[...] for this label
    correct: bool


@dataclass(frozen=True)
class QuestionScore:
    labels: list[LabelResult]

    @property
    def correct(self) -> bool:
        # A question without labels cannot be checked, so it does not count as right.
        return bool(self.labels) and all(label.correct for label in self.labels)

    @property
    def labels_correct(self) -> int:
        return sum(label.correct for label in self.labels)


def parse_answers(text: str) -> dict[str, str]:
    """Every `@name[value]` in `text`; a name given twice keeps its last value, since
    answers often restate a draft value before the final one."""
    return {name: value for name, value in _ANSWER.findall(text)}


def match(expected: str, got: str | None) -> bool:
    """Whether `got` is an acceptable answer for the label `expected` (module doc)."""
    if got is None:
        return False
    want, have = _clean(expected), _clean(got)
    want_number, have_number = _number(want), _number(have)
    if want_number is not None and have_number is not None:
        if abs(want_number - have_number) < ABSOLUTE_TOLERANCE:
            return True
        decimals = _decimals(want)
        if decimals is None:
            return False
        # The slack absorbs binary noise in the subtraction, not real differences.
        half_unit = 0.5 * 10.0**-decimals
        return abs(want_number - have_number) <= half_unit * (1 + 1e-9)
    return want.casefold() == have.casefold()


def score(labels: Sequence[tuple[str, str]], answer_text: str) -> QuestionScore:
    answers = parse_answers(answer_text)
    # Models sometimes change a name's case (@Mean_Fare); the exact name wins when both exist.
    folded = {name.casefold(): value for name, value in answers.items()}
    results = []
    for name, expected in labels:
        got = answers.get(name, folded.get(name.casefold()))
        results.append(LabelResult(name, expected, got, match(expected, got)))
    return QuestionScore(results)


def _clean(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    # "nan" and "inf" parse as floats but are words here: compare them as text.
    return value if math.isfinite(value) else None


def _decimals(text: str) -> int | None:
    """Digits after the point in a plainly written number; None for exponent notation,
    whose precision is not what its digits after the point say."""
    if "e" in text.lower():
        return None
    _, _, fraction = text.partition(".")
    return len(fraction)
