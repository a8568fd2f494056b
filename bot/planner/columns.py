"""Which columns a question talks about, and which column plays each role in a plan.

A mention is a span of the question that names a column: its exact name (`user_id`,
`user id`, `销售额`), a synonym of its concept (`revenue`, `消费`), or a near miss
(`ammount`, `customer-id`). Roles (the amount, the date, the user, a group) accept only some
column kinds; when the question names no column for a role, `fallback` picks one by kind
and name, and the planner records that assumption.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from bot.models import ColumnKind, ColumnProfile, DatasetProfile
from bot.planner.language import has_cjk
from bot.planner.synonyms import CONCEPTS, concepts_of, name_tokens

Role = Literal["amount", "date", "user", "order", "group", "numeric", "any"]

ROLE_KINDS: dict[Role, tuple[ColumnKind, ...]] = {
    "amount": ("number", "integer"),
    "numeric": ("number", "integer"),
    "date": ("datetime",),
    "user": ("identifier", "text", "integer"),
    "order": ("identifier", "text", "integer"),
    "group": ("text", "identifier", "integer", "boolean"),
    "any": ("integer", "number", "text", "identifier", "datetime", "boolean"),
}
_ROLE_CONCEPT: dict[Role, str] = {
    "amount": "amount",
    "date": "date",
    "user": "user",
    "order": "order",
}
# Integer columns that measure something are values, not groups, even with few distinct
# values; the others (age, year, store number) can be grouped by when their values are few.
_MEASURE_CONCEPTS = ("amount", "quantity", "order", "price")
MAX_INTEGER_GROUP_DISTINCT = 100
# Question words that look like column names to a fuzzy matcher but never are.
_NOT_COLUMN_WORDS = (
    "data table file rows row columns column values value total average mean median "
    "count number trend monthly weekly daily yearly quarterly month months quarter year "
    "years week weeks days describe overview summary distribution histogram correlation "
    "outliers outlier matrix segment segments segmentation chart plot graph show draw "
    "analyse analyze highest lowest largest smallest which what where when there their "
    "these those with from over under above below between each every after before since "
    "sorted order orders group grouped using last past peak mark line"
)
_NOT_COLUMNS = frozenset(_NOT_COLUMN_WORDS.split())


@dataclass(frozen=True)
class Mention:
    """A span of the question naming a column; `columns` ranks the candidates."""

    start: int
    end: int
    columns: tuple[str, ...]
    exact: bool  # the column's own name, not a synonym or a near miss


def _ascii_pattern(alias: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s_\-]+", alias) if w]
    body = r"[\s_\-]*".join(words)
    plural = r"(?:s|es)?"
    if body.endswith("y") and len(body) > 2:
        body, plural = body[:-1], r"(?:y|ies|ys)"
    # Plurals and word boundaries: "regions" names `region`, "cities" `city`; "ordered"
    # does not name `order`.
    return re.compile(r"(?<![a-z0-9])" + body + plural + r"(?![a-z0-9])")


class ColumnResolver:
    """Finds columns in questions for one dataset profile."""

    def __init__(self, profile: DatasetProfile) -> None:
        self.profile = profile
        self._by_name = {c.name: c for c in profile.columns}
        self._concepts = {c.name: concepts_of(c.name) for c in profile.columns}
        # alias -> (columns, exact); exact aliases rank first among a span's candidates.
        self._aliases: dict[str, list[tuple[str, bool]]] = {}
        for column in profile.columns:
            for alias in self._own_aliases(column.name):
                self._aliases.setdefault(alias, []).append((column.name, True))
            for concept in self._concepts[column.name]:
                for word in CONCEPTS[concept]:
                    self._aliases.setdefault(word.lower(), []).append((column.name, False))

    @staticmethod
    def _own_aliases(name: str) -> list[str]:
        low = name.lower().strip()
        aliases = [low]
        tokens = name_tokens(name)
        if not has_cjk(name) and len(tokens) > 1:
            aliases += [" ".join(tokens), "".join(tokens)]
        return [a for a in dict.fromkeys(aliases) if a]

    # -- lookups ---------------------------------------------------------------------

    def column(self, name: str) -> ColumnProfile:
        return self._by_name[name]

    def kind(self, name: str) -> ColumnKind:
        return self._by_name[name].kind

    def concepts(self, name: str) -> tuple[str, ...]:
        return self._concepts[name]

    def columns_of_kind(self, *kinds: ColumnKind) -> list[str]:
        return [c.name for c in self.profile.columns if c.kind in kinds]

    def groupable(self, name: str) -> bool:
        """Text, identifier and boolean columns group; integers only when they are labels."""
        column = self._by_name[name]
        if column.kind == "integer":
            if any(c in _MEASURE_CONCEPTS for c in self._concepts[name]):
                return False
            return column.distinct is not None and column.distinct <= MAX_INTEGER_GROUP_DISTINCT
        return column.kind in ROLE_KINDS["group"]

    def accepts(self, role: Role, name: str) -> bool:
        if role == "group":
            return self.groupable(name)
        return self.kind(name) in ROLE_KINDS[role]

    # -- mentions --------------------------------------------------------------------

    def mentions(self, low: str) -> list[Mention]:
        """Every span of the (lowercased) question that names a column, left to right."""
        taken = [False] * len(low)
        found: dict[tuple[int, int], list[tuple[str, bool]]] = {}
        # Longest aliases first, so "purchase date" wins over "date" and 销售额 over 销售.
        for alias in sorted(self._aliases, key=lambda a: (-len(a), a)):
            for start, end in self._occurrences(alias, low):
                if any(taken[start:end]):
                    if (start, end) in found:
                        found[(start, end)].extend(self._aliases[alias])
                    continue
                for i in range(start, end):
                    taken[i] = True
                found[(start, end)] = list(self._aliases[alias])
        for span, candidates in self._near_misses(low, taken):
            found[span] = candidates
        result = []
        for (start, end), candidates in sorted(found.items()):
            ranked = self._rank(candidates)
            exact = any(is_exact for _, is_exact in candidates)
            result.append(Mention(start, end, ranked, exact))
        return result

    def _rank(self, candidates: list[tuple[str, bool]]) -> tuple[str, ...]:
        order = {c.name: i for i, c in enumerate(self.profile.columns)}
        best: dict[str, bool] = {}
        for name, exact in candidates:
            best[name] = best.get(name, False) or exact
        return tuple(sorted(best, key=lambda n: (not best[n], order[n])))

    @staticmethod
    def _occurrences(alias: str, low: str) -> list[tuple[int, int]]:
        if has_cjk(alias):
            # Chinese has no spaces: any occurrence counts. A trailing Latin part (用户id)
            # must not run into more letters.
            pattern = re.escape(alias) + (r"(?![a-z0-9])" if alias[-1].isascii() else "")
            return [(m.start(), m.end()) for m in re.finditer(pattern, low)]
        return [(m.start(), m.end()) for m in _ascii_pattern(alias).finditer(low)]

    def _near_misses(
        self, low: str, taken: list[bool]
    ) -> list[tuple[tuple[int, int], list[tuple[str, bool]]]]:
        """Typos and parts of names: `ammount`, `signup` (signup_date), 销售金额 (销售额)."""
        found: list[tuple[tuple[int, int], list[tuple[str, bool]]]] = []
        ascii_aliases = [a for a in self._aliases if not has_cjk(a) and len(a) >= 4]
        for match in re.finditer(r"[a-z][a-z0-9]{3,}", low):
            start, end = match.span()
            word = match.group()
            if any(taken[start:end]) or word in _NOT_COLUMNS:
                continue
            close = difflib.get_close_matches(word, ascii_aliases, n=1, cutoff=0.85)
            if close:
                found.append(((start, end), [(n, False) for n, _ in self._aliases[close[0]]]))
                continue
            # A whole token of a longer name: "signup" names signup_date.
            owners = [
                c.name
                for c in self.profile.columns
                if not has_cjk(c.name) and word in name_tokens(c.name) and word != "id"
            ]
            if owners:
                found.append(((start, end), [(n, False) for n in owners]))
        for column in self.profile.columns:
            name = column.name.lower()
            if not has_cjk(name) or len(name) < 3 or name in low:
                continue
            span = self._closest_window(name, low, taken)
            if span is not None:
                found.append((span, [(column.name, False)]))
                for i in range(*span):
                    taken[i] = True
        return found

    @staticmethod
    def _closest_window(name: str, low: str, taken: list[bool]) -> tuple[int, int] | None:
        best: tuple[float, int, int] | None = None
        for size in (len(name) - 1, len(name), len(name) + 1):
            for start in range(0, len(low) - size + 1):
                end = start + size
                if any(taken[start:end]) or not has_cjk(low[start:end]):
                    continue
                ratio = difflib.SequenceMatcher(None, name, low[start:end]).ratio()
                if ratio >= 0.8 and (best is None or ratio > best[0]):
                    best = (ratio, start, end)
        return None if best is None else (best[1], best[2])

    # -- roles -----------------------------------------------------------------------

    def pick(self, mention: Mention, role: Role) -> str | None:
        """The best candidate of a mention that can play the role."""
        concept = _ROLE_CONCEPT.get(role)
        fitting = [c for c in mention.columns if self.accepts(role, c)]
        if concept is not None:
            fitting.sort(key=lambda c: concept not in self._concepts[c])
        return fitting[0] if fitting else None

    def named(self, mentions: list[Mention], role: Role) -> str | None:
        """The first mentioned column that can play the role, preferring its concept."""
        concept = _ROLE_CONCEPT.get(role)
        picks = [p for m in mentions if (p := self.pick(m, role)) is not None]
        if concept is not None:
            in_concept = [p for p in picks if concept in self._concepts[p]]
            if in_concept:
                return in_concept[0]
            if role in ("user", "order"):
                # Any text column is not a user: without the concept, do not guess.
                return None
        return picks[0] if picks else None

    def fallback(self, role: Role) -> str | None:
        """A column for a role the question did not name, or None when none fits."""
        columns = self.profile.columns
        concept = _ROLE_CONCEPT.get(role)
        if role == "date":
            dates = [c.name for c in columns if c.kind == "datetime"]
            named = [d for d in dates if "date" in self._concepts[d]]
            return (named or dates)[0] if dates else None
        if role == "amount":
            numeric = [c.name for c in columns if c.kind in ("number", "integer")]
            amounts = [n for n in numeric if "amount" in self._concepts[n]]
            amounts.sort(key=lambda n: self.kind(n) != "number")
            if amounts:
                return amounts[0]
            # A float column that is not something else (age, price, a count) is most
            # likely the money; integers without an amount-like name are too risky.
            plain = [c.name for c in columns if c.kind == "number" and not self._concepts[c.name]]
            return plain[0] if plain else None
        if concept is not None:
            fitting = [
                c.name
                for c in columns
                if self.accepts(role, c.name) and concept in self._concepts[c.name]
            ]
            return fitting[0] if fitting else None
        return None
