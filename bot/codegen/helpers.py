"""Helper functions copied into generated code only when a step needs them.

Generated scripts are self-contained (besides `sandbox.runtime`) so a saved run can be
re-run by hand; these snippets are the few pieces of logic too long to inline.
"""

from __future__ import annotations

FACT_VALUE = '''
def fact_value(value):
    """A plain Python value for the answer text: dates as ISO dates, numpy as Python."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
'''

PERIOD_LABELS = '''
def period_labels(periods):
    """Readable period labels: weeks by their Monday, other periods as pandas prints them."""
    if periods.freqstr.startswith("W"):
        return periods.start_time.strftime("%Y-%m-%d")
    return periods.astype(str)
'''

NTILE = '''
def ntile(frame, column, ascending, tie_break, bins):
    """SQL NTILE(bins) over ORDER BY column, tie_break.

    Rows are ranked by `column` (ties broken by `tie_break` ascending) and cut into `bins`
    groups whose sizes differ by at most one; the first n % bins groups get one row more.
    Group 1 holds the first rows in that order.
    """
    order = frame.sort_values(
        [column, tie_break], ascending=[ascending, True], kind="mergesort"
    ).index
    base, extra = divmod(len(order), bins)
    sizes = [base + 1 if i < extra else base for i in range(bins)]
    tiles = np.repeat(np.arange(1, bins + 1), sizes)
    return pd.Series(tiles, index=order).reindex(frame.index)
'''

# The eight-cell RFM model: each score is "high" when it lies above the middle of its
# scale (3, 4 or 5 of 5), and the (R, F, M) high/low pattern names the segment. One table
# for both engines: pandas code gets it as a dict, DuckDB SQL as a CASE expression.
RFM_SEGMENT_NAMES: dict[str, dict[tuple[bool, bool, bool], str]] = {
    "en": {
        (True, True, True): "Champions",
        (True, False, True): "High-value new",
        (False, True, True): "At-risk loyal",
        (False, False, True): "Big spenders to win back",
        (True, True, False): "Loyal low spenders",
        (True, False, False): "Promising",
        (False, True, False): "Needs attention",
        (False, False, False): "Hibernating",
    },
    "zh": {
        (True, True, True): "重要价值客户",
        (True, False, True): "重要发展客户",
        (False, True, True): "重要保持客户",
        (False, False, True): "重要挽留客户",
        (True, True, False): "一般价值客户",
        (True, False, False): "一般发展客户",
        (False, True, False): "一般保持客户",
        (False, False, False): "一般挽留客户",
    },
}


def _segments_source() -> str:
    lines = ["RFM_SEGMENTS = {"]
    for language, names in RFM_SEGMENT_NAMES.items():
        lines.append(f"    {language!r}: {{")
        lines.extend(f"        {pattern!r}: {name!r}," for pattern, name in names.items())
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


RFM_SEGMENT = f"""
# The eight-cell RFM model: each score is "high" when it lies above the middle of its
# scale (3, 4 or 5 of 5), and the (R, F, M) high/low pattern names the segment.
{_segments_source()}


def rfm_segment(r, f, m, bins, language):
    middle = bins / 2
    return RFM_SEGMENTS[language][(r > middle, f > middle, m > middle)]
"""

CJK_FONTS = [
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "DejaVu Sans",
]
