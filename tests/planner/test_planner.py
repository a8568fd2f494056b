"""The public API: `RulesPlanner.plan`, its determinism, and questions it cannot map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import PlanningError
from bot.models import AnswerStep, LoadStep
from bot.planner.rules import RulesPlanner
from tests.planner.datasets import ALL, customers, sales_daily, sales_daily_zh, transactions
from tests.planner.helpers import kinds, plan, template
from tests.planner.test_templates import QUESTIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_a_planning_error(question):
    with pytest.raises(PlanningError):
        RulesPlanner().plan(question, sales_daily())


def test_plan_keeps_the_question_and_names_the_dataset():
    p = plan("  monthly sales trend ", sales_daily())
    assert p.question == "  monthly sales trend "
    assert p.dataset == "sales_daily.csv"
    assert p.summary
    assert p.checklist()[0] == "Load sales_daily.csv"


def test_same_question_and_profile_give_the_same_plan():
    for name in ALL:
        for question in QUESTIONS:
            first = plan(question, ALL[name]())
            again = RulesPlanner().plan(question, ALL[name]())
            assert first == again


_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from tests.planner.datasets import ALL
from tests.planner.test_templates import QUESTIONS
from bot.planner.rules import RulesPlanner
plans = [RulesPlanner().plan(q, ALL[n]()).model_dump(mode="json") for n in ALL for q in QUESTIONS]
print(json.dumps(plans, ensure_ascii=False, sort_keys=True))
"""


def test_plans_do_not_depend_on_hash_seeds():
    # Set iteration order changes with PYTHONHASHSEED; a planner that leaked it would
    # plan differently from one process to the next.
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _SCRIPT.format(root=str(ROOT))],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.append(json.loads(run.stdout))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("question", "dataset", "language"),
    [
        ("what is the weather like", sales_daily(), "en"),
        ("hello there", transactions(), "en"),
        ("今天天气怎么样", sales_daily_zh(), "zh"),
        ("你好", customers(), "zh"),
    ],
)
def test_not_understood_explains_and_suggests(question, dataset, language):
    p = plan(question, dataset)
    assert not p.understood
    assert kinds(p) == ["load", "answer"]
    assert isinstance(p.steps[0], LoadStep) and isinstance(p.steps[1], AnswerStep)
    assert p.language == language
    text = template(p).format()  # reads no facts
    for c in dataset.profile.columns:
        assert c.name in text
    assert ("identifier" in text) or ("标识符" in text) or ("datetime" in text) or ("日期" in text)
    assert text.count("“") >= 2  # two or three example questions


def test_suggested_questions_are_understood():
    for name, make in ALL.items():
        data = make()
        p = plan("blah", data)
        quoted = [q.split("”")[0] for q in template(p).split("“")[1:]]
        assert 2 <= len(quoted) <= 3, name
        for question in quoted:
            assert plan(question, data).understood, (name, question)


def test_not_understood_says_what_was_recognised():
    p = plan("RFM", customers())  # no amount column
    assert not p.understood
    assert "RFM" in template(p) and "amount" in template(p)
    assert any("amount" in note for note in p.notes)


def test_a_trend_without_a_date_column_is_explained():
    no_dates = ALL["customers"]().model_copy(deep=True)
    no_dates.profile.columns = [c for c in no_dates.profile.columns if c.kind != "datetime"]
    p = plan("monthly trend", no_dates)
    assert not p.understood
    assert "date column" in template(p)


def test_assumptions_are_noted():
    p = plan("monthly trend", sales_daily())
    assert any("using date" in note for note in p.notes)
    assert any("using sales" in note for note in p.notes)
    zh = plan("每月趋势", sales_daily_zh())
    assert any("使用 日期" in note or "使用日期" in note for note in zh.notes)


@pytest.mark.parametrize(
    ("question", "dataset"),
    [
        # No user column: RFM and per-user totals cannot be planned, and a describe or a
        # bare filter would only pretend to answer.
        (
            "计算RFM得分，R为最近购买天数(分5档)，F为消费频次(分5档)，M为消费金额(分5档)，"
            "输出用户分群结果",
            sales_daily(),
        ),
        (
            "清洗用户交易数据，去除金额小于5元的订单，按用户ID聚合消费总额和最近购买日期",
            sales_daily(),
        ),
        ("total spend per user ID", sales_daily()),
    ],
)
def test_a_request_that_needs_missing_columns_is_not_understood(question, dataset):
    p = plan(question, dataset)
    assert not p.understood
    assert kinds(p) == ["load", "answer"]
    assert p.notes  # the reason is kept for the reply and the run record


def test_different_bins_per_letter_use_the_first_and_say_so():
    p = plan("RFM：R分5档，F分3档，M分4档", transactions())
    assert p.steps[1].bins == 5  # type: ignore[union-attr]
    assert any("5 档" in note for note in p.notes)
