"""What a question asks for, read from keywords in English and Chinese.

Each reader looks at the words earlier readers left free (see `Query`) and marks what it
used: the "last 12 months" of a window is not also a monthly frequency, and the "前10" of
a top-N is not also a filter value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.models import Freq
from bot.planner.language import Query
from bot.planner.numbers import COUNT, to_int

WindowUnit = Literal["day", "week", "month", "year"]
ChartRequest = Literal["line", "bar", "hist", "scatter", "heatmap", "pie", "any"]

FREQ_ORDER: tuple[Freq, ...] = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Window:
    last: int
    unit: WindowUnit


@dataclass(frozen=True)
class TopN:
    n: int
    ascending: bool
    explicit: bool  # "top 5", "前10名"; a bare "highest" is not explicit
    start: int
    end: int


@dataclass
class Intents:
    """Everything the keyword readers found, before columns are tied to it."""

    window: Window | None = None
    top_n: TopN | None = None
    chart: ChartRequest | None = None
    describe: bool = False
    describe_strong: bool = False
    missing: bool = False
    histogram: bool = False
    correlation: bool = False
    matrix: bool = False
    spearman: bool = False
    outliers: bool = False
    rfm: bool = False
    trend: bool = False
    peak: bool = False
    count: bool = False
    which: bool = False
    sort: bool = False
    ascending: bool = False


def _find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text)


# -- window -----------------------------------------------------------------------------

_WINDOW_UNITS: dict[str, tuple[WindowUnit, int]] = {
    "day": ("day", 1), "天": ("day", 1), "日": ("day", 1),
    "week": ("week", 1), "周": ("week", 1), "星期": ("week", 1),
    "month": ("month", 1), "月": ("month", 1),
    "quarter": ("month", 3), "季度": ("month", 3), "季": ("month", 3),
    "year": ("year", 1), "年": ("year", 1),
}  # fmt: skip
_EN_WINDOW = re.compile(
    r"\b(?:in\s+)?(?:the\s+)?(?:last|past|previous|recent|trailing|most recent)\s+"
    rf"(?P<n>{COUNT})?\s*(?P<unit>day|week|month|quarter|year)s?\b"
)
_ZH_WINDOW = re.compile(
    rf"(?:过去|最近|近)\s*(?P<n>{COUNT}|半)?\s*(?:个)?\s*(?P<unit>天(?!数)|日(?!期)|周|星期|月(?!份)|季度|季|年(?!龄|份))"
)


def read_window(query: Query) -> Window | None:
    """ "last 12 months", "past 30 days", "过去12个月", "近一年", "最近两个季度"."""
    for pattern in (_EN_WINDOW, _ZH_WINDOW):
        match = pattern.search(query.free)
        if match is None:
            continue
        unit, factor = _WINDOW_UNITS[match.group("unit")]
        token = match.group("n")
        if token == "半":
            # 近半年 is six months; 半个月 fifteen days.
            unit, count = ("month", 6) if unit == "year" else ("day", 15)
        else:
            count = (to_int(token) if token else 1) or 1
        query.use(*match.span())
        return Window(last=count * factor, unit=unit)
    return None


# -- frequencies ------------------------------------------------------------------------

_STRONG_FREQ: dict[Freq, str] = {
    "day": (
        r"\bdaily\b|\b(?:per|by|each|every) day\b|\bday[ -]by[ -]day\b|"
        r"每天|每日|按天|按日|日度|逐日"
    ),
    "week": (
        r"\bweekly\b|\b(?:per|by|each|every) week\b|\bweek over week\b|"
        r"每周|按周|周度|逐周|每星期"
    ),
    "month": (
        r"\bmonthly\b|\b(?:per|by|each|every) month\b|\bmonth[ -](?:over|by)[ -]month\b|"
        r"\bwhich month\b|每个月|每月|按月|月度|逐月|各月|哪个月"
    ),
    "quarter": (
        r"\bquarterly\b|\b(?:per|by|each|every) quarter\b|\bquarter over quarter\b|"
        r"\bwhich quarter\b|每个季度|每季度|每季|按季度|按季|各季度|逐季|季度"
    ),
    "year": (
        r"\byearly\b|\bannual(?:ly)?\b|\b(?:per|by|each|every) year\b|\byear over year\b|"
        r"\bwhich year\b|每年|按年|年度|逐年|各年|哪一年"
    ),
}
_WEAK_FREQ: dict[Freq, str] = {
    "day": r"\bdays?\b",
    "week": r"\bweeks?\b",
    "month": r"\bmonths?\b|月份",
    "quarter": r"\bquarters?\b",
    "year": r"\byears?\b|年份",
}


def read_frequencies(query: Query) -> tuple[list[Freq], bool]:
    """Calendar periods the question names, finest first, and whether one was explicit.

    "monthly", "按季度" are explicit; a bare "month" (as in "mark the peak month") only
    counts once something else made this a question about time.
    """
    strong: list[Freq] = []
    for freq, pattern in _STRONG_FREQ.items():
        for match in re.finditer(pattern, query.free):
            strong.append(freq)
            query.use(*match.span())
    weak: list[Freq] = []
    for freq, pattern in _WEAK_FREQ.items():
        for match in re.finditer(pattern, query.free):
            weak.append(freq)
            query.use(*match.span())
    found = set(strong) | set(weak)
    return [f for f in FREQ_ORDER if f in found], bool(strong)


# -- top-N ------------------------------------------------------------------------------

_TOP_PATTERNS: list[str] = [
    rf"\b(?P<dir>top|bottom)[\s-]*(?P<n>{COUNT})?",
    rf"\b(?P<n>{COUNT})\s+(?P<dir>highest|largest|biggest|best|most|lowest|smallest|worst|least)\b",
    rf"\b(?P<dir>highest|largest|biggest|best|lowest|smallest|worst)\s+(?P<n>{COUNT})\b",
    rf"(?P<dir>最高|最多|最大|最好|最低|最少|最小|最差)的?\s*(?P<n>{COUNT})\s*(?:名|个|位|家|条|笔|天)?",
    rf"(?:排名|排行)?(?P<dir>前|后|倒数)\s*(?P<n>{COUNT})\s*(?:名|个|位|家|大|条|笔|天)?",
]
_ASCENDING_WORDS = frozenset(
    ["bottom", "lowest", "smallest", "worst", "least", "最低", "最少", "最小", "最差", "后", "倒数"]
)
# Superlatives without a number: a top-N only when a group is named and nothing else
# (a trend, a maximum per group) explains them. 最大值 is a statistic, not a ranking.
_SOFT_TOP = re.compile(
    r"\b(?:highest|largest|biggest|best|lowest|smallest|worst)\b|"
    r"(?:最高|最多|最大|最好|最低|最少|最小|最差)(?!值)|排名|排行"
)


def read_top_n(query: Query) -> TopN | None:
    for pattern in _TOP_PATTERNS:
        match = re.search(pattern, query.free)
        if match is None:
            continue
        token = match.groupdict().get("n")
        n = to_int(token) if token else None
        direction = match.groupdict().get("dir") or ""
        query.use(*match.span())
        return TopN(
            n=n if n else 10,
            ascending=direction in _ASCENDING_WORDS,
            explicit=True,
            start=match.start(),
            end=match.end(),
        )
    soft = _SOFT_TOP.search(query.free)
    if soft is None:
        return None
    return TopN(
        n=10,
        ascending=soft.group() in _ASCENDING_WORDS,
        explicit=False,
        start=soft.start(),
        end=soft.end(),
    )


# -- bins -------------------------------------------------------------------------------

_BINS = re.compile(
    rf"分\s*(?P<a>{COUNT})\s*(?:个)?\s*(?:档|级|等|组|段)|(?P<b>{COUNT})\s*(?:个)?\s*(?:档|等级|等分|分位)|"
    rf"\b(?P<c>{COUNT})[\s-]*(?:bins|buckets|levels|tiers|grades|quantiles|groups)\b"
)
_NAMED_BINS = {
    "quintile": 5, "quartile": 4, "tercile": 3, "decile": 10,
    "五分位": 5, "四分位": 4, "三分位": 3, "十分位": 10,
}  # fmt: skip


def read_bins(query: Query) -> list[int]:
    """ "分5档", "5 bins", "quintiles": every number of bins stated, in order."""
    found: list[tuple[int, int, int]] = []
    for match in _BINS.finditer(query.free):
        value = to_int(match.group("a") or match.group("b") or match.group("c") or "")
        if value:
            found.append((match.start(), match.end(), value))
    for word, value in _NAMED_BINS.items():
        for match in re.finditer(word, query.free):
            if not any(start <= match.start() < end for start, end, _ in found):
                found.append((match.start(), match.end(), value))
    for start, end, _ in found:
        query.use(start, end)
    return [value for _, _, value in sorted(found)]


_FENCE = re.compile(
    r"\bk\s*=\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:x|×|倍)\s*(?:the\s+)?(?:iqr|四分位距)"
)


def read_fence(query: Query) -> float:
    """Tukey's k: "k=3", "3x IQR", "3倍四分位距"; 1.5 when not stated."""
    match = _FENCE.search(query.free)
    if match is None:
        return 1.5
    query.use(*match.span())
    return float(match.group(1) or match.group(2))


# -- charts and flags -------------------------------------------------------------------

_CHARTS: list[tuple[ChartRequest, str]] = [
    ("line", r"折线|曲线|\bline (?:chart|graph|plot)s?\b|\bline\b"),
    ("bar", r"柱状图|柱形图|条形图|柱图|\bbar (?:chart|graph|plot)s?\b|\bbars?\b"),
    ("hist", r"直方图|\bhistograms?\b"),
    ("scatter", r"散点|\bscatter"),
    ("heatmap", r"热力图|热图|\bheat ?maps?\b"),
    ("pie", r"饼图|饼状图|\bpie\b"),
    (
        "any",
        r"图表|画图|作图|绘图|绘制|可视化|\bcharts?\b|\bplots?\b|\bgraphs?\b|\bdraw\b|\bvisuali[sz]",
    ),
]

_FLAGS: dict[str, str] = {
    "describe_strong": (
        r"\bdescribe\b|\bdescription\b|\boverview\b|\bprofile\b|\bexplore\b|"
        r"\bwhat(?:'s| is) in\b|概览|概况|总览|描述|基本情况|基本信息|数据探索"
    ),
    "describe": r"\bsummar(?:y|ise|ize)\b|\bstatistics\b|\bstats\b|统计摘要|数据摘要|汇总统计",
    "missing": (
        r"\bmissing\b|\bnulls?\b|\bnan\b|\bempty values?\b|\bblanks?\b|"
        r"\bhow many (?:rows|records|lines|entries)\b|\brow count\b|"
        r"\bnumber of (?:rows|records)\b|\bcount (?:the )?rows\b|\bshape\b|"
        r"缺失|空值|多少行|几行|行数|多少条|记录数|数据量"
    ),
    "histogram": r"\bdistribut\w*|\bhistograms?\b|\bspread\b|分布|直方图",
    "correlation": (
        r"\bcorrelat\w*|\brelationships? between\b|\brelations? between\b|"
        r"\bassociation between\b|相关|关联|关系"
    ),
    "matrix": (
        r"\bmatrix\b|\bpairwise\b|\ball (?:the )?(?:numeric )?(?:columns|variables|fields)\b|"
        r"矩阵|两两|所有(?:数值)?(?:列|字段|变量)"
    ),
    "spearman": r"\bspearman\b|\brank correlation\b|斯皮尔曼|秩相关|等级相关",
    "outliers": (
        r"\boutliers?\b|\banomal\w*|\bunusual\b|\bextreme values?\b|\babnormal\b|"
        r"异常|离群|极端值"
    ),
    "rfm": (
        r"\brfm\b|\brecency\b|\bcustomer segment\w*|\buser segment\w*|"
        r"\bsegment (?:the )?(?:customers|users|clients|members|buyers)\b|"
        r"用户分群|客户分群|会员分群|用户分层|客户分层|会员分层|用户细分|客户细分|价值分层"
    ),
    "trend": (
        r"\btrends?\b|\bover time\b|\btime[ -]series\b|\btimeline\b|\bfluctuat\w*|"
        r"\bseasonal\w*|\bevolution\b|\bgrowth\b|\bchanged? over\b|"
        r"趋势|走势|波动|变化|季节性|周期|规律|增长|时间序列|环比|同比"
    ),
    "peak": r"\bpeaks?\b|\bspikes?\b|峰值|高峰|最高点|波峰",
    "count": (
        r"\bhow many\b|\bnumber of\b|\bcounts?\b|\bfrequency\b|"
        r"多少|数量|个数|次数|频次|计数|几个|数目|笔数"
    ),
    "which": r"\bwhich\b|哪个|哪家|哪位|哪一个|哪一",
    "sort": r"\bsort(?:ed)?\b|\brank(?:ed|ing)?\b|\border(?:ed)? by\b|排序|排列",
    "ascending": r"\bascending\b|\basc\b|\b(?:lowest|smallest) first\b|升序|从小到大|从低到高",
}


def read_chart(query: Query) -> ChartRequest | None:
    for chart, pattern in _CHARTS:
        if _find(pattern, query.free):
            return chart
    return None


def read_flags(query: Query, intents: Intents) -> None:
    """Sets the keyword flags (describe, missing, trend, ...) and the chart request."""
    intents.chart = read_chart(query)
    free = query.free
    for name, pattern in _FLAGS.items():
        setattr(intents, name, _find(pattern, free) is not None)
    intents.describe = intents.describe or intents.describe_strong
    if intents.chart == "hist":
        intents.histogram = True
    if intents.chart == "heatmap":
        intents.correlation = intents.matrix = True
