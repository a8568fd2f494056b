"""The question as the other planner modules read it: language, normalised text, used spans."""

from __future__ import annotations

import re
import unicodedata

from bot.models import Language

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """True when the text holds at least one CJK ideograph."""
    return _CJK.search(text) is not None


def detect_language(text: str) -> Language:
    """Chinese as soon as one ideograph appears: mixed questions are answered in Chinese."""
    return "zh" if has_cjk(text) else "en"


def _lower_keeping_length(text: str) -> str:
    # A few characters lowercase to two code points (İ); keeping them as they are keeps
    # every offset valid in both the cased and the lowercased text.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class Query:
    """The question in NFKC form (full-width digits and signs read as ASCII), lowercased.

    Readers run one after another; each marks the spans it understood as used so later
    readers do not take the same words twice (the "12 months" of a window is not also a
    monthly frequency; the "金额" of a filter is not also a metric).
    """

    def __init__(self, question: str) -> None:
        self.raw = question
        self.language: Language = detect_language(question)
        self.text = unicodedata.normalize("NFKC", question)
        self.low = _lower_keeping_length(self.text)
        self._used = [False] * len(self.text)

    def use(self, start: int, end: int) -> None:
        for i in range(max(start, 0), min(end, len(self._used))):
            self._used[i] = True

    def is_free(self, start: int, end: int) -> bool:
        return not any(self._used[max(start, 0) : end])

    @property
    def free(self) -> str:
        """The lowercased text with used spans blanked out (offsets unchanged)."""
        return "".join(" " if used else c for c, used in zip(self.low, self._used, strict=True))
