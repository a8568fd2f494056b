"""Numbers as people write them in questions: 1,000 / 1.5k / 1万 / 十二 / 前十."""

from __future__ import annotations

import re

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_MYRIADS = {"万": 10_000, "亿": 100_000_000}
_EN_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}  # fmt: skip
_MULTIPLIERS = {"k": 1_000, "千": 1_000, "w": 10_000, "万": 10_000, "m": 1_000_000}
_MULTIPLIERS |= {"百万": 1_000_000, "亿": 100_000_000}

CN_NUMERAL = "[零〇一二两三四五六七八九十百千万]+"
ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
EN_WORD = r"\b(?:" + "|".join(sorted(_EN_WORDS, key=len, reverse=True)) + r")\b"
# A count such as the N of top-N, a window length or a number of bins.
COUNT = f"(?:{ARABIC}|{CN_NUMERAL}|{EN_WORD})"
# An amount in a comparison: an optional currency sign, digits (or Chinese numerals), an
# optional multiplier and an optional unit word that says nothing about the value.
AMOUNT = (
    r"[$¥]?\s*(?P<num>-?" + ARABIC + "|" + CN_NUMERAL + r")"
    r"(?:\s*(?P<mult>百万|k|千|万|w|m|亿)(?![a-z]))?"
    r"(?:\s*(?:元|块钱|块|人民币|rmb|yuan|dollars?|usd|件|单|笔|次|个|人|天|%)(?![a-z]))?"
)
ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日"


def chinese_int(text: str) -> int | None:
    """十二 → 12, 二十 → 20, 一百零五 → 105, 一万 → 10000; None when it is not a numeral."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS and c not in _CN_MYRIADS
                       for c in text):  # fmt: skip
        return None
    total, section, digit = 0, 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            # A bare 十 at the start means ten: 十二 is twelve, not two.
            section += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
        else:
            total += (section + (digit or 0)) * _CN_MYRIADS[c]
            section, digit = 0, None
    return total + section + (digit or 0)


def to_int(token: str) -> int | None:
    """A count written with digits, Chinese numerals or an English word."""
    token = token.strip().replace(",", "")
    if token.isdigit():
        return int(token)
    if token in _EN_WORDS:
        return _EN_WORDS[token]
    return chinese_int(token)


def to_number(num: str, mult: str | None = None) -> int | float | None:
    """The value of an AMOUNT match: ints stay ints so `amount >= 5` reads as typed."""
    num = num.replace(",", "")
    value: int | float
    if re.fullmatch(r"-?\d+", num):
        value = int(num)
    elif re.fullmatch(r"-?\d+\.\d+", num):
        value = float(num)
    else:
        parsed = chinese_int(num)
        if parsed is None:
            return None
        value = parsed
    if mult:
        value = value * _MULTIPLIERS[mult]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
    return value


def iso_date(text: str) -> str | None:
    """2026-1-5, 2026/01/05 and 2026年1月5日 as 2026-01-05."""
    match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text.strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
