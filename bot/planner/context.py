"""What every plan builder shares: the question, the columns it names, notes, names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.models import Dataset, Language, Step
from bot.planner.columns import ColumnResolver, Mention, Role
from bot.planner.language import Query
from bot.planner.wording import ROLE_NAMES, name, say, slug


@dataclass
class Block:
    """The steps of one analysis and the answer sentences about them."""

    steps: list[Step]
    answer: list[str]


@dataclass
class Context:
    query: Query
    dataset: Dataset
    columns: ColumnResolver
    mentions: list[Mention]
    notes: list[str] = field(default_factory=list)
    # Why a part of the question could not be planned; the plan's notes, or the reply when
    # nothing could be planned at all.
    reasons: list[str] = field(default_factory=list)
    filtered: bool = False
    _outputs: set[str] = field(default_factory=set)

    @property
    def language(self) -> Language:
        return self.query.language

    def say(self, key: str, **slots: Any) -> str:
        return say(key, self.language, **slots)

    def note(self, key: str, **slots: Any) -> None:
        text = self.say(key, **slots)
        if text not in self.notes:
            self.notes.append(text)

    def reason(self, key: str, **slots: Any) -> None:
        text = self.say(key, **slots)
        if text not in self.reasons:
            self.reasons.append(text)

    def name(self, column: str) -> str:
        return name(column, self.language)

    def output(self, base: str, fallback: str) -> str:
        """A result name unique in the plan, ASCII so it works as a file and fact name."""
        stem = slug(base) or fallback
        candidate, n = stem, 2
        while candidate in self._outputs:
            candidate, n = f"{stem}_{n}", n + 1
        self._outputs.add(candidate)
        return candidate

    def free_mentions(self) -> list[Mention]:
        return [m for m in self.mentions if self.query.is_free(m.start, m.end)]

    def column_for(self, role: Role, note: bool = True) -> str | None:
        """The column the question names for a role, else a fallback (noted), else None."""
        named = self.columns.named(self.free_mentions(), role)
        if named is not None:
            return named
        fallback = self.columns.fallback(role)
        if fallback is not None and note:
            role_name = ROLE_NAMES[self.language].get(role, role)
            self.note("assumed", role=role_name, column=fallback)
        return fallback

    def numeric_mentions(self, exclude: list[str] | None = None) -> list[str]:
        found = [
            column
            for m in self.free_mentions()
            if (column := self.columns.pick(m, "numeric")) is not None
        ]
        return [c for c in dict.fromkeys(found) if c not in (exclude or [])]

    @property
    def rows_fact(self) -> str:
        """The row count after the filters: what a histogram or summary covers."""
        return "rows_kept" if self.filtered else "rows_loaded"


def as_date(value: Any) -> dt.date | None:
    """A profile's min/max as a date: ISO strings, datetimes and dates are accepted."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
