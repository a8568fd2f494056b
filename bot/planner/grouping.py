"""Group-by columns: "by region", "per user ID", "for each store", 按地区, 各门店, 每个用户.

A group is a mention right after a group word (or before 维度/分组), that names a column
which can be grouped by; "by region and store" / 按地区和门店 chain further groups.
"""

from __future__ import annotations

import re

from bot.planner.columns import ColumnResolver, Mention
from bot.planner.language import Query

_BEFORE = re.compile(
    r"(?:\bby|\bper|\bfor each|\bfor every|\beach|\bevery|\bacross(?: all)?|\bgrouped by|"
    r"\bgroup by|\bbroken down by|\bbreakdown by|\bsplit by|\bin each|\bwithin each|"
    r"按照|按|各个|各|每个|每一个|每位|每家|每|分别按|根据|对每个|以)"
    r"\s*(?:the\s+|each\s+|different\s+|every\s+|不同的?|的)?\s*$"
)
# 分 as in 分地区统计, only where it starts a phrase (部分用户 is not "by user").
_SPLIT = re.compile(r"(?:^|[^\u3400-\u9fff])分\s*$")
_AFTER = re.compile(r"^\s*(?:维度|分组|分类|为维度|为单位|为粒度|-wise|wise|-level)")
_CHAIN = re.compile(r"^\s*(?:和|与|及|、|,|\band\b|&|/)\s*$")


def read_groups(query: Query, mentions: list[Mention], columns: ColumnResolver) -> list[str]:
    """The group-by columns, in the order the question names them."""
    groups: list[str] = []
    previous: Mention | None = None
    free = query.free
    for mention in mentions:
        if not query.is_free(mention.start, mention.end):
            previous = None
            continue
        column = columns.pick(mention, "group")
        if column is None:
            previous = None
            continue
        before = free[: mention.start]
        after = free[mention.end :]
        marked = bool(_BEFORE.search(before) or _SPLIT.search(before) or _AFTER.match(after))
        chained = previous is not None and bool(_CHAIN.match(free[previous.end : mention.start]))
        if marked or chained:
            if column not in groups:
                groups.append(column)
            previous = mention
        else:
            previous = None
    return groups


_ASKED = re.compile(
    r"\bper\b|\bfor each\b|\bfor every\b|\bgroup(?:ed)? by\b|\bbroken down by\b|"
    r"按照|按|各个|各|每个|每位|每家"
)


def asks_for_groups(query: Query) -> bool:
    """A group word is left over ("per user" in a table without users): a group was asked for.

    Period words (按月, per month) were used up by the frequency reader, so what is left
    names something the profile does not have.
    """
    return _ASKED.search(query.free) is not None
