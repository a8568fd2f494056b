"""Language detection, normalisation and the numbers people type."""

from __future__ import annotations

import pytest

from bot.planner.language import Query, detect_language
from bot.planner.numbers import chinese_int, iso_date, to_int, to_number


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("monthly sales", "en"),
        ("每月销售额", "zh"),
        ("RFM 分群", "zh"),  # one ideograph is enough
        ("top 10 by amount ¥", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_query_normalises_full_width_text_and_keeps_offsets():
    q = Query("金额＞１００，Top５")
    assert q.text == "金额>100,Top5"
    assert q.low == "金额>100,top5"
    assert len(q.low) == len(q.text)


def test_used_spans_are_blanked_for_later_readers():
    q = Query("last 12 months of sales")
    q.use(0, 14)
    assert q.free == " " * 14 + " of sales"
    assert not q.is_free(3, 5)
    assert q.is_free(15, 23)


@pytest.mark.parametrize(
    ("text", "value"),
    [("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("两", 2), ("一万", 10_000)],
)
def test_chinese_numerals(text, value):
    assert chinese_int(text) == value


def test_chinese_numerals_reject_other_text():
    assert chinese_int("销售") is None
    assert chinese_int("") is None


@pytest.mark.parametrize(
    ("text", "value"), [("12", 12), ("twelve", 12), ("五", 5), ("1,000", 1000)]
)
def test_counts(text, value):
    assert to_int(text) == value


@pytest.mark.parametrize(
    ("num", "mult", "value"),
    [("100", None, 100), ("99.5", None, 99.5), ("1.5", "k", 1500), ("3", "万", 30_000),
     ("1,200", None, 1200), ("2.0", None, 2.0), ("0.5", "万", 5000)],
)  # fmt: skip
def test_amounts(num, mult, value):
    result = to_number(num, mult)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("text", "iso"),
    [("2026-1-5", "2026-01-05"), ("2026/01/05", "2026-01-05"), ("2026年1月5日", "2026-01-05"),
     ("2026-13-01", None)],
)  # fmt: skip
def test_iso_dates(text, iso):
    assert iso_date(text) == iso
