"""Row conditions in a question: `amount > 100`, 金额大于100, region is North, 地区为华北.

Each condition names a column (the nearest mention before the comparison, or the one right
after the number), an operator and a value. An exclusion word (exclude, drop, 去除, 剔除)
before a condition turns it around: "去除金额小于5元的订单" keeps `amount >= 5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.planner.columns import ColumnResolver, Mention, Role
from bot.planner.language import Query, has_cjk
from bot.planner.numbers import AMOUNT, ISO_DATE, iso_date, to_number

FilterOp = Literal["==", "!=", ">", ">=", "<", "<=", "in", "not in", "contains", "notnull"]

INVERSE: dict[FilterOp, FilterOp] = {
    ">": "<=",
    ">=": "<",
    "<": ">=",
    "<=": ">",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
}

_BREAK = re.compile(r"[,;。!?、\n]|\bthen\b|然后|并且|之后再|再")
_EXCLUDE = re.compile(
    r"\b(?:exclude|excluding|excludes|drop|dropping|remove|removing|without|filter out|"
    r"filtering out|ignore|ignoring|leave out|except|not counting|discard|discarding|omit|"
    r"omitting)\b|去除掉|去除|剔除|去掉|排除|删除|删掉|过滤掉|除去|除了|不含|不包括|不包含|不要|不算"
)
_MISSING = re.compile(r"\b(?:missing|null|nulls|empty|blank|nan)\b|空值|缺失值|缺失|为空|空白")

# Operator phrases before a value, longest first inside each language.
_PREFIX_OPS: list[tuple[str, FilterOp]] = [
    (r"\bno less than\b|\bnot less than\b|\bat least\b|\bminimum of\b|>=|≥|=>", ">="),
    (r"\bno more than\b|\bnot more than\b|\bat most\b|\bup to\b|\bmaximum of\b|<=|≤|=<", "<="),
    (r"\bnot equal to\b|!=|<>|≠", "!="),
    (
        r"\bmore than\b|\bgreater than\b|\bhigher than\b|\blarger than\b|\bbigger than\b|"
        r"\bin excess of\b|\bexceeding\b|\bexceeds\b|\bexceed\b|\bover\b|\babove\b|>",
        ">",
    ),
    (
        r"\bless than\b|\bfewer than\b|\blower than\b|\bsmaller than\b|\bunder\b|\bbelow\b|<",
        "<",
    ),
    (r"\bequal to\b|\bequals\b|==|=", "=="),
    (r"大于等于|大于或等于|不低于|不少于|不小于|至少", ">="),
    (r"小于等于|小于或等于|不超过|不高于|不大于|不多于|至多", "<="),
    (r"不等于", "!="),
    (r"大于|高于|超过|多于|超出", ">"),
    (r"小于|低于|少于|不足|不到|未满", "<"),
    (r"等于", "=="),
]
_POSTFIX_OPS: list[tuple[str, FilterOp]] = [
    (r"及以上|或以上|以上|\s*or more\b|\s*and above\b|\s*and up\b|\s*or higher\b", ">="),
    (r"及以下|或以下|以下|以内|\s*or less\b|\s*or fewer\b|\s*and below\b|\s*or lower\b", "<="),
]
_DATE_PREFIX: list[tuple[str, FilterOp]] = [
    (r"\bon or after\b|\bsince\b|\bfrom\b|\bstarting\b|从|自", ">="),
    (r"\bafter\b", ">"),
    (r"\bon or before\b|\buntil\b|\bthrough\b|\bup to\b|\bto\b|到|至", "<="),
    (r"\bbefore\b|\bprior to\b", "<"),
]
_DATE_POSTFIX: list[tuple[str, FilterOp]] = [
    (r"之后|以后|后", ">"),
    (r"起|开始|以来", ">="),
    (r"之前|以前|前", "<"),
]
_EQ_NOT = r"\s*(?:is not|isn't|不是|不为|不等于|非|!=|<>|≠)\s*"
_EQ = r"\s*(?:is|equals?|为|是|==|=|:)\s*"
_IN = r"\s*(?:in\s*\(?|属于)\s*"
# Chinese "以用户为单位" / "以地区为维度" use 为 without naming a value.
_NOT_VALUE_WORDS = "单位 维度 基础 基准 主 准 例 对象 依据 核心 中心 目标 标准"
_NOT_VALUES = frozenset(_NOT_VALUE_WORDS.split())
_GENDER_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (r"\b(?:female|females|women|woman|girls?)\b|女性|女", ("f", "female", "女", "女性", "w")),
    (r"\b(?:male|males|men|man|boys?)\b|男性|男", ("m", "male", "男", "男性")),
]
_VALUE_STOP = "的且并和或时中里内、，,。 "
_EN_STOPWORDS = frozenset(
    ["the", "a", "an", "any", "all", "each", "every", "this", "that", "highest", "lowest"]
)


@dataclass(frozen=True)
class Condition:
    column: str
    op: FilterOp
    value: Any = None
    assumed: bool = False  # the question did not name the column; the planner picked it


@dataclass
class Conditions:
    items: list[Condition] = field(default_factory=list)
    # A value compared with no column the planner could tie it to (say "over 100" in a
    # table without any amount), reported back in the plan's notes.
    unplaced: list[str] = field(default_factory=list)
    nothing_missing: bool = False  # asked to drop missing values; the profile has none


class _Reader:
    def __init__(self, query: Query, mentions: list[Mention], columns: ColumnResolver) -> None:
        self.q = query
        self.mentions = mentions
        self.columns = columns
        self.found = Conditions()
        self.scopes = self._exclusion_scopes()
        # Condition start offsets, kept to order conditions as the question states them.
        self._starts: list[int] = []

    # -- helpers ---------------------------------------------------------------------

    def _clause_end(self, start: int) -> int:
        match = _BREAK.search(self.q.low, start)
        return match.start() if match else len(self.q.low)

    def _exclusion_scopes(self) -> list[tuple[int, int, int]]:
        """(cue start, scope start, scope end) for each exclusion word."""
        return [
            (m.start(), m.end(), self._clause_end(m.end())) for m in _EXCLUDE.finditer(self.q.low)
        ]

    def _excluded(self, position: int) -> tuple[int, int] | None:
        for cue, start, end in self.scopes:
            if start <= position <= end:
                return cue, start
        return None

    def _add(self, start: int, end: int, condition: Condition) -> None:
        scope = self._excluded(start)
        if scope is not None:
            condition = replace(condition, op=INVERSE.get(condition.op, condition.op))
            self.q.use(*scope)
        self.q.use(start, end)
        self._starts.append(start)
        self.found.items.append(condition)

    def _free_mentions(self) -> list[Mention]:
        return [m for m in self.mentions if self.q.is_free(m.start, m.end)]

    def _subject_before(self, position: int, role: Role, reach: int) -> tuple[Mention, str] | None:
        """The nearest mention ending shortly before `position`, in the same clause."""
        for mention in reversed(self._free_mentions()):
            if mention.end > position:
                continue
            gap = self.q.low[mention.end : position]
            if _BREAK.search(gap) or len(gap.strip()) > reach:
                return None
            column = self.columns.pick(mention, role)
            if column is not None:
                return mention, column
        return None

    def _subject_after(self, position: int, role: Role) -> tuple[Mention, str] | None:
        for mention in self._free_mentions():
            if mention.start < position:
                continue
            if len(self.q.low[position : mention.start].strip()) > 3:
                return None
            column = self.columns.pick(mention, role)
            return (mention, column) if column is not None else None
        return None

    def _reach(self) -> int:
        # "amount of the order is over" vs "金额在": Chinese packs the same in fewer chars.
        return 6 if self.q.language == "zh" else 24

    def _place(self, op_start: int, value_end: int, role: Role) -> tuple[int, str, bool] | None:
        """(condition start, column, assumed) for a comparison between the two offsets."""
        before = self._subject_before(op_start, role, self._reach())
        if before is not None:
            return before[0].start, before[1], False
        after = self._subject_after(value_end, role)
        if after is not None:
            self.q.use(after[0].start, after[0].end)
            return op_start, after[1], False
        fallback = self.columns.fallback("amount" if role == "numeric" else "date")
        if fallback is not None and role in ("numeric", "date"):
            return op_start, fallback, True
        return None

    # -- readers ---------------------------------------------------------------------

    def drop_missing(self) -> None:
        """Missing values dropped: "drop rows with missing amount", 去除金额为空的订单."""
        for cue, start, end in self.scopes:
            missing = _MISSING.search(self.q.low, start, end)
            if missing is None:
                continue
            free = self._free_mentions()
            word_start, stop = missing.span()
            named = [m for m in free if start <= m.start and m.end <= word_start]
            if not named and self.q.language == "en":
                # English names the column after the word: "missing amount".
                after = [m for m in free if stop <= m.start < end]
                if after and len(self.q.low[stop : after[0].start].strip()) <= 12:
                    named, stop = after[:1], after[0].end
            columns = [c for m in named if (c := self.columns.pick(m, "any")) is not None]
            if not named:
                # No column named: drop rows missing a value anywhere, which only concerns
                # the columns the profile saw empty cells in.
                columns = [c.name for c in self.columns.profile.columns if c.nulls > 0]
                self.found.nothing_missing = not columns
            for column in dict.fromkeys(columns):
                self.found.items.append(Condition(column, "notnull"))
                self._starts.append(start)
            self.q.use(cue, stop)

    def between(self) -> None:
        patterns = [
            r"\bbetween\s+" + AMOUNT + r"\s*(?:and|to|-)\s*" + AMOUNT.replace("num", "num2")
            .replace("mult", "mult2"),
            r"(?:在|介于)?\s*" + AMOUNT + r"\s*(?:到|至|~|-|和)\s*"
            + AMOUNT.replace("num", "num2").replace("mult", "mult2") + r"\s*(?:之间|范围内)",
            r"(?:在|介于)\s*" + AMOUNT + r"\s*(?:到|至|~|-)\s*"
            + AMOUNT.replace("num", "num2").replace("mult", "mult2"),
        ]  # fmt: skip
        for pattern in patterns:
            for m in list(re.finditer(pattern, self.q.free)):
                low = to_number(m.group("num"), m.group("mult"))
                high = to_number(m.group("num2"), m.group("mult2"))
                placed = self._place(m.start(), m.end(), "numeric")
                if low is None or high is None or placed is None:
                    continue
                start, column, assumed = placed
                self._add(start, m.end(), Condition(column, ">=", low, assumed))
                self._add(start, m.end(), Condition(column, "<=", high, assumed))

    def comparisons(self) -> None:
        for op_pattern, op in _PREFIX_OPS:
            pattern = rf"(?:{op_pattern})\s*(?:了|于|达到|:)?\s*(?:(?P<date>{ISO_DATE})|{AMOUNT})"
            for m in list(re.finditer(pattern, self.q.free)):
                if m.group("date"):
                    self._compare(m.start(), m.end(), op, iso_date(m.group("date")), "date")
                else:
                    value = to_number(m.group("num"), m.group("mult"))
                    self._compare(m.start(), m.end(), op, value, "numeric")
        for op_pattern, op in _POSTFIX_OPS:
            for m in list(re.finditer(rf"{AMOUNT}\s*(?:{op_pattern})", self.q.free)):
                value = to_number(m.group("num"), m.group("mult"))
                self._compare(m.start(), m.end(), op, value, "numeric")

    def dates(self) -> None:
        for op_pattern, op in _DATE_PREFIX:
            pattern = rf"(?:{op_pattern})\s*(?P<date>{ISO_DATE})"
            for m in list(re.finditer(pattern, self.q.free)):
                self._compare(m.start(), m.end(), op, iso_date(m.group("date")), "date")
        for op_pattern, op in _DATE_POSTFIX:
            pattern = rf"(?:在)?(?P<date>{ISO_DATE})\s*(?:{op_pattern})"
            for m in list(re.finditer(pattern, self.q.free)):
                self._compare(m.start(), m.end(), op, iso_date(m.group("date")), "date")

    def _compare(self, start: int, end: int, op: FilterOp, value: Any, role: Role) -> None:
        if value is None or not self.q.is_free(start, end):
            return
        placed = self._place(start, end, role)
        if placed is None:
            self.found.unplaced.append(self.q.text[start:end].strip())
            self.q.use(start, end)
            return
        begin, column, assumed = placed
        self._add(begin, end, Condition(column, op, value, assumed))

    def equalities(self) -> None:
        for mention in self._free_mentions():
            column = self.columns.pick(mention, "any")
            if column is None or self.columns.kind(column) == "datetime":
                continue
            if mention.start > 0 and self.q.low[mention.start - 1] in "以按":
                continue
            # "customers in Shanghai" is not customer_id == Shanghai: after "in" only a
            # value the profile knows (or a quoted one) counts.
            patterns = [(_EQ_NOT, True, True), (_EQ, False, True), (_IN, False, False)]
            for pattern, negated, loose in patterns:
                m = re.compile(pattern).match(self.q.free, mention.end)
                if m is None:
                    continue
                read = self._read_values(column, m.end(), loose)
                if read is None:
                    continue
                values, end = read
                if len(values) > 1:
                    condition = Condition(column, "not in" if negated else "in", values)
                else:
                    condition = Condition(column, "!=" if negated else "==", values[0])
                self._add(mention.start, end, condition)
                break

    def _read_values(self, column: str, position: int, loose: bool) -> tuple[list[Any], int] | None:
        values: list[Any] = []
        while True:
            read = self._read_value(column, position, loose)
            if read is None:
                break
            values.append(read[0])
            position = read[1]
            more = re.compile(r"\s*(?:,|、|/|\bor\b|或者|或|\band\b|和)\s*").match(
                self.q.free, position
            )
            if more is None:
                break
            position = more.end()
        if not values:
            return None
        return values, self._value_end(position)

    def _value_end(self, position: int) -> int:
        # Give back the separator a failed second value left behind.
        text = self.q.free
        while position > 0 and text[position - 1] in " ,、/":
            position -= 1
        return position

    def _read_value(self, column: str, position: int, loose: bool) -> tuple[Any, int] | None:
        text, low = self.q.text, self.q.free
        quoted = re.compile(r"['\"“”‘’「」『』](.+?)['\"“”‘’「」『』]").match(text, position)
        if quoted is not None and self.q.is_free(*quoted.span()):
            return self._as_example(column, quoted.group(1)), quoted.end()
        for example in sorted(self._examples(column), key=len, reverse=True):
            end = position + len(example)
            if low[position:end] == example.lower() and not _joins_word(low, end, example):
                return example, end
        if not loose:
            return None
        number = re.compile(rf"(?P<date>{ISO_DATE})|{AMOUNT}").match(low, position)
        if number is not None and number.group(0).strip():
            if number.group("date"):
                return iso_date(number.group("date")), number.end()
            if self.columns.kind(column) in ("integer", "number"):
                value = to_number(number.group("num"), number.group("mult"))
                if value is not None:
                    return value, number.end()
        if self.columns.kind(column) in ("integer", "number"):
            return None
        word = re.compile(r"[A-Za-z0-9][\w\-.]*").match(text, position)
        if word is not None and word.group().lower() not in _EN_STOPWORDS:
            token = word.group().rstrip(".")
            if any(c.isupper() or c.isdigit() for c in token):
                return token, position + len(token)
        run = re.compile(r"[\u3400-\u9fff]+").match(text, position)
        if run is not None:
            word_run = run.group()
            for i, char in enumerate(word_run):
                if char in _VALUE_STOP:
                    word_run = word_run[:i]
                    break
            if word_run and word_run not in _NOT_VALUES:
                return word_run, position + len(word_run)
        return None

    def _examples(self, column: str) -> list[str]:
        return [str(e) for e in self.columns.column(column).examples if str(e).strip()]

    def _as_example(self, column: str, value: str) -> str:
        for example in self._examples(column):
            if example.lower() == value.lower():
                return example
        return value

    def implicit_values(self) -> None:
        """Values named without their column: "sales in North" means region == North."""
        for profile in self.columns.profile.columns:
            if profile.kind != "text" or profile.distinct is None or profile.distinct > 50:
                continue
            hits: list[tuple[int, int, str]] = []
            for example in sorted(self._examples(profile.name), key=len, reverse=True):
                if len(example) < 2:
                    continue
                for start, end in _find_value(example.lower(), self.q.free):
                    # "Store A" holds the mention "store"; "North" inside a mention is not
                    # a value.
                    if self._within_mention(start, end):
                        continue
                    hits.append((start, end, example))
                    self.q.use(start, end)
            if not hits:
                continue
            hits.sort()
            values = list(dict.fromkeys(example for _, _, example in hits))
            start, end = hits[0][0], hits[-1][1]
            condition = (
                Condition(profile.name, "==", values[0])
                if len(values) == 1
                else Condition(profile.name, "in", values)
            )
            self._add(start, end, condition)

    def gender_values(self) -> None:
        """ "female customers", 女性用户: gender == the profile's own spelling (F, 女, ...)."""
        for profile in self.columns.profile.columns:
            if "gender" not in self.columns.concepts(profile.name):
                continue
            spellings = {str(e).lower(): str(e) for e in profile.examples}
            for pattern, forms in _GENDER_WORDS:
                match = re.search(pattern, self.q.free)
                value = next((spellings[f] for f in forms if f in spellings), None)
                if match is None or value is None:
                    continue
                self._add(match.start(), match.end(), Condition(profile.name, "==", value))

    def _within_mention(self, start: int, end: int) -> bool:
        return any(m.start <= start and end <= m.end for m in self.mentions)

    def ordered(self) -> Conditions:
        order = sorted(range(len(self.found.items)), key=lambda i: self._starts[i])
        self.found.items = [self.found.items[i] for i in order]
        return self.found


def _joins_word(low: str, end: int, example: str) -> bool:
    # "North" must not match the start of "Northwest"; Chinese has no such boundary.
    return not has_cjk(example) and end < len(low) and (low[end].isalnum() or low[end] == "_")


def _find_value(value: str, low: str) -> list[tuple[int, int]]:
    if has_cjk(value):
        return [(m.start(), m.end()) for m in re.finditer(re.escape(value), low)]
    pattern = r"(?<![a-z0-9_])" + re.escape(value) + r"(?![a-z0-9_])"
    return [(m.start(), m.end()) for m in re.finditer(pattern, low)]


def read_conditions(query: Query, mentions: list[Mention], columns: ColumnResolver) -> Conditions:
    """Every row condition in the question, in the order it states them."""
    reader = _Reader(query, mentions, columns)
    reader.drop_missing()
    reader.between()
    reader.comparisons()
    reader.dates()
    reader.equalities()
    reader.gender_values()
    reader.implicit_values()
    return reader.ordered()
