"""The plan for a question the rules cannot map: say what was understood, offer examples."""

from __future__ import annotations

from bot.models import AnswerStep, LoadStep, Plan
from bot.planner.context import Context
from bot.planner.templates import answer, phrase
from bot.planner.wording import KIND_NAMES, tidy

SUMMARY = {
    "en": "Could not map the question to an analysis",
    "zh": "未能将问题对应到可执行的分析",
}


def examples(ctx: Context) -> list[str]:
    """Two or three questions this dataset can answer, in the question's language."""
    columns = ctx.columns
    amount = columns.fallback("amount")
    date = columns.fallback("date")
    groups = [
        c.name
        for c in columns.profile.columns
        if c.kind in ("text", "boolean") and c.distinct is not None and c.distinct <= 30
    ]
    group = groups[0] if groups else None
    numeric = columns.columns_of_kind("number", "integer")
    spread = amount or (numeric[0] if numeric else None)
    v = ctx.name(amount) if amount else ""
    g = ctx.name(group) if group else ""
    en: list[str] = []
    zh: list[str] = []
    if date and amount:
        en.append(f"monthly {v} trend")
        zh.append(f"每月{v}趋势")
    elif date:
        en.append("monthly trend")
        zh.append("每月趋势")
    if group and amount:
        en.append(f"total {v} by {g}")
        zh.append(f"按{g}统计{v}合计")
    elif group:
        en.append(f"number of rows by {g}")
        zh.append(f"按{g}统计行数")
    if spread:
        en.append(f"distribution of {ctx.name(spread)}")
        zh.append(f"{ctx.name(spread)}分布")
    en += ["describe the data", "how many rows and missing values"]
    zh += ["数据概况", "有多少行、缺失值情况"]
    picked = (en if ctx.language == "en" else zh)[:3]
    return [tidy(e, ctx.language) for e in picked]


def not_understood(ctx: Context, question: str, pieces: list[str]) -> Plan:
    lang = ctx.language
    kinds = KIND_NAMES[lang]
    listed = [
        f"{c.name} ({kinds[c.kind]})" if lang == "en" else f"{c.name}（{kinds[c.kind]}）"
        for c in ctx.columns.profile.columns
    ]
    quoted = [f"“{e}”" for e in examples(ctx)]
    if lang == "en":
        example_text = ", ".join(quoted[:-1]) + (" or " if len(quoted) > 1 else "") + quoted[-1]
    else:
        example_text = "、".join(quoted)
    sentences = [
        phrase("recognised", lang, pieces=(", " if lang == "en" else "、").join(pieces))
        if pieces
        else phrase("nothing_recognised", lang),
        *ctx.reasons,
    ]
    # Column names and the question's words are literal text: `answer` escapes them once.
    template = answer(
        "not_understood",
        lang,
        dataset=ctx.dataset.name,
        understood=(" " if lang == "en" else "").join(sentences),
        columns=(", " if lang == "en" else "、").join(listed),
        examples=example_text,
    )
    return Plan(
        question=question,
        language=lang,
        dataset=ctx.dataset.name,
        summary=SUMMARY[lang],
        steps=[
            LoadStep(title=ctx.say("load", file=ctx.dataset.name)),
            AnswerStep(title=ctx.say("answer"), template=template),
        ],
        understood=False,
        notes=ctx.notes + ctx.reasons,
    )
