"""The rules planner: a question and a dataset profile in, a typed `Plan` out, no LLM.

Readers take the question apart in a fixed order (window, conditions, top-N, bins,
frequencies, keyword flags, groups, metrics), each marking the words it used; builders in
`analyses.py` turn what was found into steps; the answer template joins their sentences.
Everything depends only on the question and the profile: no clock, no randomness, no
iteration over unordered sets, so the same inputs always give the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import PlanningError
from bot.models import (
    AnswerStep,
    Dataset,
    FilterStep,
    LoadStep,
    Plan,
    Step,
    Turn,
    WindowStep,
)
from bot.planner import analyses
from bot.planner.columns import ColumnResolver
from bot.planner.conditions import Conditions, read_conditions
from bot.planner.context import Block, Context
from bot.planner.fallback import not_understood
from bot.planner.grouping import asks_for_groups, read_groups
from bot.planner.intents import (
    Intents,
    TopN,
    read_bins,
    read_fence,
    read_flags,
    read_frequencies,
    read_top_n,
    read_window,
)
from bot.planner.language import Query
from bot.planner.metrics import MetricSpec, read_metrics
from bot.planner.templates import answer, join
from bot.planner.wording import ROLE_NAMES, condition_text, metric_phrase

_AND = {"en": " and ", "zh": "，"}
_LIST = {"en": "; ", "zh": "；"}


class RulesPlanner:
    """Plans from keyword rules in English and Chinese: the default and the LLM's fallback."""

    name = "rules"

    def plan(self, question: str, dataset: Dataset, history: Sequence[Turn] = ()) -> Plan:
        # Earlier turns are for planners that read language; rules match one question.
        if not question or not question.strip():
            raise PlanningError("The question is empty: ask something about the data.")
        return _Planner(question, dataset).plan()


class _Planner:
    def __init__(self, question: str, dataset: Dataset) -> None:
        self.question = question
        query = Query(question.strip())
        columns = ColumnResolver(dataset.profile)
        self.ctx = Context(query, dataset, columns, columns.mentions(query.low))
        self.intents = Intents()
        self._read()

    def _read(self) -> None:
        q, ctx, intents = self.ctx.query, self.ctx, self.intents
        intents.window = read_window(q)
        self.k = read_fence(q)  # before conditions: "k=3" is not a filter
        self.conditions: Conditions = read_conditions(q, ctx.mentions, ctx.columns)
        intents.top_n = read_top_n(q)
        if intents.top_n is not None and not intents.top_n.explicit:
            # "highest" is a ranking or nothing: never the max() of a metric.
            q.use(intents.top_n.start, intents.top_n.end)
        self.bins = read_bins(q)
        self.frequencies, self.strong_frequency = read_frequencies(q)
        read_flags(q, intents)
        self.groups = read_groups(q, ctx.mentions, ctx.columns)
        self.metrics = read_metrics(q, ctx.mentions, ctx.columns, self.groups)

    # -- the plan --------------------------------------------------------------------

    def plan(self) -> Plan:
        ctx = self.ctx
        steps: list[Step] = [LoadStep(title=ctx.say("load", file=ctx.dataset.name))]
        conditions = _AND[ctx.language].join(self._filters(steps))
        blocks = self._blocks()
        parts: list[str] = []
        if not blocks:
            if not ctx.filtered or ctx.reasons:
                return not_understood(ctx, self.question, self._pieces())
            # Only conditions: the answer is the rows that meet them.
            blocks = [analyses.filtered_table(ctx, conditions)]
        elif ctx.filtered:
            parts.append(answer("filtered", ctx.language, conditions=conditions))
        for block in blocks:
            steps += block.steps
            parts += block.answer
        summary = _LIST[ctx.language].join(s.title for s in steps[1:] if s.title)
        steps.append(AnswerStep(title=ctx.say("answer"), template=join(parts, ctx.language)))
        return Plan(
            question=self.question,
            language=ctx.language,
            dataset=ctx.dataset.name,
            summary=summary,
            steps=steps,
            understood=True,
            notes=ctx.notes + ctx.reasons,
        )

    def _filters(self, steps: list[Step]) -> list[str]:
        """Adds the filter and window steps; returns their conditions as text."""
        ctx, lang = self.ctx, self.ctx.language
        texts: list[str] = []
        for condition in self.conditions.items:
            text = condition_text(condition.column, condition.op, condition.value, lang)
            texts.append(text)
            steps.append(
                FilterStep(
                    title=ctx.say("filter", condition=text),
                    column=condition.column,
                    op=condition.op,
                    value=condition.value,
                )
            )
            if condition.assumed:
                role = "date" if ctx.columns.kind(condition.column) == "datetime" else "amount"
                ctx.note("assumed", role=ROLE_NAMES[lang][role], column=condition.column)
        for phrase in self.conditions.unplaced:
            ctx.note("unplaced", phrase=phrase)
        if self.conditions.nothing_missing:
            ctx.note("nothing_missing")
        window = self.intents.window
        if window is not None:
            date = ctx.column_for("date")
            if date is None:
                ctx.reason("no_date")
            else:
                units = window.unit + ("s" if window.last != 1 else "")
                zh_unit = {"day": "天", "week": "周", "month": "个月", "year": "年"}[window.unit]
                slots = {"n": window.last, "units": units, "unit": zh_unit}
                steps.append(
                    WindowStep(
                        title=ctx.say("window", column=ctx.name(date), **slots),
                        column=date,
                        last=window.last,
                        unit=window.unit,
                    )
                )
                ctx.note("window_note", column=date, **slots)
                texts.append(
                    f"last {window.last} {units}" if lang == "en" else f"最近{window.last}{zh_unit}"
                )
        ctx.filtered = len(steps) > 1
        return texts

    def _blocks(self) -> list[Block]:
        ctx, intents = self.ctx, self.intents
        blocks: list[Block | None] = []
        rfm = intents.rfm
        time_series = (
            self.strong_frequency or intents.trend or intents.peak or intents.chart == "line"
        ) and not (rfm and not self.strong_frequency)
        top = self._top(time_series)
        if intents.describe_strong or (intents.describe and not self._other_intents(top)):
            blocks.append(analyses.describe(ctx, self._describe_columns(top), with_missing=True))
        elif intents.missing:
            blocks.append(analyses.missing(ctx))
        if time_series:
            blocks.append(
                analyses.time_series(
                    ctx, self.frequencies, intents.window, self.metrics, intents.chart
                )
            )
            if self.groups and not rfm:
                ctx.note("grouped_trend", group=ctx.name(self.groups[0]))
        if top is not None:
            blocks.append(self._top_block(top))
        elif self.groups and not rfm:
            specs = self._value_metrics() or analyses.default_metrics(ctx, intents.count)
            blocks.append(analyses.aggregate(ctx, self.groups, specs, intents.chart))
        if intents.histogram:
            blocks.append(self._histogram())
        if intents.correlation:
            named = ctx.numeric_mentions()
            blocks.append(
                analyses.correlation(ctx, named, intents.matrix, intents.spearman, intents.chart)
            )
        if intents.outliers:
            columns = ctx.numeric_mentions()[:3] or [
                c for c in [ctx.column_for("amount")] if c is not None
            ]
            if columns:
                blocks.append(analyses.outliers(ctx, columns, self.k))
            else:
                ctx.reason("no_value")
        if rfm:
            blocks.append(analyses.rfm(ctx, self.bins))
        built = [b for b in blocks if b is not None]
        if not built and ctx.reasons:
            return []  # what was asked cannot be done here; say so rather than guess
        if not built and intents.sort:
            numeric = ctx.numeric_mentions()
            if numeric:
                built.append(analyses.sorted_table(ctx, numeric[0], intents.ascending))
        values = [m.column for m in self._value_metrics() if m.column is not None]
        if not built and values and not self.groups:
            if asks_for_groups(ctx.query):
                ctx.reason("no_group")
            else:
                # "average age" with no group is a statistic of the column: describe it.
                columns = list(dict.fromkeys(values))
                built.append(analyses.describe(ctx, columns, with_missing=False))
        if not built and intents.count and not ctx.filtered:
            built.append(analyses.missing(ctx))
        return built

    def _other_intents(self, top: TopN | None) -> bool:
        i = self.intents
        return bool(
            top or self.groups or i.histogram or i.correlation or i.outliers or i.rfm
            or i.trend or self.strong_frequency
        )  # fmt: skip

    def _describe_columns(self, top: TopN | None) -> list[str] | None:
        if self._other_intents(top):
            return None
        named = [c for m in self.ctx.free_mentions() if (c := self.ctx.columns.pick(m, "any"))]
        return list(dict.fromkeys(named)) or None

    def _value_metrics(self) -> list[MetricSpec]:
        return [m for m in self.metrics if m.column not in self.groups]

    # -- top-N -----------------------------------------------------------------------

    def _top(self, time_series: bool) -> TopN | None:
        top = self.intents.top_n
        if top is None:
            return None
        if top.explicit:
            return top
        funcs = {m.func for m in self._value_metrics()}
        soft_ok = (
            not time_series
            and not self.intents.rfm
            and self._entity(top) is not None
            and funcs <= {"sum"}
        )
        if not soft_ok:
            return None
        if self.intents.which:
            return TopN(n=1, ascending=top.ascending, explicit=False, start=top.start, end=top.end)
        return top

    def _entity(self, top: TopN) -> str | None:
        """What is ranked: a named group, else the groupable mention nearest the top words."""
        ctx = self.ctx
        if self.groups:
            return self.groups[0]
        candidates = []
        for mention in ctx.free_mentions():
            column = ctx.columns.pick(mention, "group")
            if column is None or ctx.columns.pick(mention, "numeric"):
                continue
            after = mention.start >= top.end
            distance = mention.start - top.end if after else top.start - mention.end
            candidates.append((not after, distance, column))
        return min(candidates)[2] if candidates else None

    def _top_block(self, top: TopN) -> Block | None:
        ctx = self.ctx
        entity = self._entity(top)
        measured = [
            m for m in self._value_metrics()
            if m.column != entity and not (m.column and ctx.columns.kind(m.column) == "datetime")
        ]  # fmt: skip
        if entity is not None and measured and measured[0].func != "sum":
            # TopN ranks groups by a sum; an average or a count ranks as a sorted aggregate.
            first = measured[0]
            phrase = metric_phrase(first.func, first.column, False, ctx.language)
            ctx.note("ranked", metric=phrase)
            return analyses.aggregate(ctx, [entity], [first], self.intents.chart)
        if measured and measured[0].column:
            rank = measured[0].column
        elif self.intents.count and entity is not None:
            ctx.note("ranked", metric=metric_phrase("count", None, False, ctx.language))
            return analyses.aggregate(
                ctx, [entity], [MetricSpec(None, "count")], self.intents.chart
            )
        else:
            fallback = ctx.column_for("amount")
            if fallback is None:
                ctx.reason("no_value")
                return None
            rank = fallback
        return analyses.top_n(ctx, top, rank, entity, self.intents.chart)

    # -- distributions ---------------------------------------------------------------

    def _histogram(self) -> Block | None:
        ctx = self.ctx
        numeric = ctx.numeric_mentions(exclude=self.groups)
        if numeric:
            return analyses.histogram(ctx, numeric[0], self.bins[0] if self.bins else None)
        for mention in ctx.free_mentions():
            column = ctx.columns.pick(mention, "group")
            if column is not None and column not in self.groups:
                # The distribution of a category is its count per value.
                return analyses.aggregate(
                    ctx, [column], [MetricSpec(None, "count")], self.intents.chart
                )
        if self.groups:
            return None  # "distribution by region" is already the aggregate
        amount = ctx.column_for("amount")
        if amount is None:
            ctx.reason("no_value")
            return None
        return analyses.histogram(ctx, amount, self.bins[0] if self.bins else None)

    # -- not understood --------------------------------------------------------------

    def _pieces(self) -> list[str]:
        """What was recognised, for the reply to a question that could not be planned."""
        ctx, lang, intents = self.ctx, self.ctx.language, self.intents
        named = list(
            dict.fromkeys(
                c for m in ctx.free_mentions() if (c := ctx.columns.pick(m, "any")) is not None
            )
        )
        pieces: list[str] = []
        asked = {
            "trend": intents.trend or self.strong_frequency or intents.peak,
            "rfm": intents.rfm,
            "correlation": intents.correlation,
            "histogram": intents.histogram,
            "outliers": intents.outliers,
            "ranking": intents.top_n is not None and intents.top_n.explicit,
        }
        pieces += [PIECES[key][lang] for key, present in asked.items() if present]
        if named:
            sep = ", " if lang == "en" else "、"
            label = {"en": ("the column ", "the columns "), "zh": ("列 ", "列 ")}[lang]
            pieces.append(label[len(named) > 1] + sep.join(named))
        return pieces


PIECES = {
    "trend": {"en": "a trend over time", "zh": "时间趋势"},
    "rfm": {"en": "an RFM segmentation", "zh": "RFM 分群"},
    "correlation": {"en": "a correlation", "zh": "相关分析"},
    "histogram": {"en": "a distribution", "zh": "分布"},
    "outliers": {"en": "an outlier check", "zh": "异常值检测"},
    "ranking": {"en": "a ranking", "zh": "排名"},
}
