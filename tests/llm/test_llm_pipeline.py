"""The LLM path end to end: the real `threadlab ask` against a local fake OpenAI server.

Each scenario scripts the server's replies by what is asked (plan, repair or answer),
runs the CLI in a subprocess pointed at it, and checks both the outcome and what the
server recorded: the prompts are the test's evidence of what left the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.fakes.openai_server import FakeOpenAI, FakeReply

ROOT = Path(__file__).resolve().parents[2]
SALES = ROOT / "examples" / "sales_daily.csv"
CUSTOMERS = ROOT / "examples" / "customers.csv"
THREADLAB = Path(sys.executable).with_name("threadlab")

TOTAL_BY_REGION = {
    "question": "total sales by region",
    "language": "en",
    "dataset": "sales_daily.csv",
    "summary": "Sum sales per region",
    "steps": [
        {"kind": "load"},
        {
            "kind": "aggregate",
            "output": "by_region",
            "by": ["region"],
            "metrics": [{"column": "sales", "func": "sum", "name": "total"}],
            "sort_by": "total",
        },
        {"kind": "answer", "template": "Top region: {by_region_top_group}."},
    ],
}


def _plan_with_python(code: str) -> dict[str, Any]:
    plan = json.loads(json.dumps(TOTAL_BY_REGION))
    plan["steps"] = [{"kind": "load"}, {"kind": "python", "code": code}]
    return plan


def _purpose(request: dict[str, Any]) -> str:
    system = request["messages"][0]["content"]
    if "analysis planner" in system:
        return "plan"
    if "You fix Python" in system:
        return "repair"
    return "answer"


def _all_text(fake: FakeOpenAI) -> str:
    return json.dumps(fake.requests, ensure_ascii=False)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, fake: FakeOpenAI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_"))}
    env.update(
        THREADLAB_DATA_DIR=str(tmp_path / "data"),
        THREADLAB_DB_PATH=str(tmp_path / "threadlab.db"),
        OPENAI_BASE_URL=fake.url,
        THREADLAB_LLM_MODEL="fake-model",
        THREADLAB_LLM_TIMEOUT_S="2",
        THREADLAB_LLM_RETRIES="1",
    )
    return env


Ask = Callable[..., tuple[int, dict[str, Any], str]]


@pytest.fixture
def ask(env: dict[str, str], tmp_path: Path) -> Ask:
    def run(
        data: Path, question: str, *extra: str, **overrides: str
    ) -> tuple[int, dict[str, Any], str]:
        proc = subprocess.run(
            [
                str(THREADLAB),
                "ask",
                str(data),
                question,
                "--json",
                "--out",
                str(tmp_path / "out"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env={**env, **overrides},
            timeout=180,
            check=False,
        )
        lines = proc.stdout.strip().splitlines()
        assert lines, proc.stderr
        return proc.returncode, json.loads(lines[-1]), proc.stderr

    return run


def _script(
    fake: FakeOpenAI,
    plans: list[str | FakeReply],
    repairs: list[str] = (),
    answer: str = "LLM answer.",
) -> None:  # type: ignore[assignment]
    queues = {"plan": list(plans), "repair": list(repairs)}

    def reply(request: dict[str, Any]) -> str | FakeReply:
        purpose = _purpose(request)
        if purpose == "answer":
            return answer
        assert queues[purpose], f"unexpected {purpose} request"
        return queues[purpose].pop(0)

    fake.default = reply


def test_a_valid_plan_runs_and_the_llm_writes_the_answer(ask: Ask, fake: FakeOpenAI) -> None:
    _script(fake, [json.dumps(TOTAL_BY_REGION)], answer="North sold the most.")
    code, out, _ = ask(SALES, "total sales by region")
    assert code == 0 and out["status"] == "ok"
    assert out["answer"] == "North sold the most."
    assert out["plan"]["steps"][1]["kind"] == "aggregate"
    plan_request = fake.requests[0]
    assert plan_request["response_format"]["type"] == "json_schema"
    assert "region" in plan_request["messages"][1]["content"]  # the masked schema
    assert out["llm"]["calls"] == 2 and out["llm"]["prompt_tokens"] > 0
    assert "llm" in out["timings"]


def test_invalid_json_then_a_valid_plan(ask: Ask, fake: FakeOpenAI) -> None:
    _script(fake, ["I think you should sum sales.", json.dumps(TOTAL_BY_REGION)])
    code, out, _ = ask(SALES, "total sales by region")
    assert code == 0, out
    plans = [r for r in fake.requests if _purpose(r) == "plan"]
    assert len(plans) == 2
    assert "not valid" in plans[1]["messages"][-1]["content"]


def test_schema_violating_plan_is_repaired_by_reasking(ask: Ask, fake: FakeOpenAI) -> None:
    bad = json.loads(json.dumps(TOTAL_BY_REGION))
    bad["steps"][1]["by"] = ["territory"]  # no such column
    _script(fake, [json.dumps(bad), json.dumps(TOTAL_BY_REGION)])
    code, out, _ = ask(SALES, "total sales by region")
    assert code == 0, out
    reask = [r for r in fake.requests if _purpose(r) == "plan"][1]["messages"][-1]["content"]
    assert "territory" in reask and "unknown columns" in reask


def test_a_runtime_error_is_fixed_by_the_repair_loop(ask: Ask, fake: FakeOpenAI) -> None:
    broken = _plan_with_python("print(df['nope'].sum())")
    fixed = (
        "```python\nimport pandas as pd\n"
        "df = pd.read_parquet('sales_daily.parquet')\n"
        "print('fixed total', round(df['sales'].sum(), 2))\n```"
    )
    _script(fake, [json.dumps(broken)], repairs=[fixed])
    code, out, stderr = ask(SALES, "total sales")
    assert code == 0, (out, stderr)
    assert "fixed total" in out["code"] or "fixed total" in stderr
    repair = next(r for r in fake.requests if _purpose(r) == "repair")
    assert "KeyError" in repair["messages"][1]["content"]
    assert "Attempt 1 failed" in stderr and "Attempt 2: running the fixed code" in stderr


def test_repair_attempts_exhausted_give_a_clear_error(ask: Ask, fake: FakeOpenAI) -> None:
    broken = _plan_with_python("print(df['nope'].sum())")
    still = "```python\nraise ValueError('still broken')\n```"
    _script(fake, [json.dumps(broken)], repairs=[still, still])
    code, out, _ = ask(SALES, "total sales")
    assert code == 1 and out["status"] == "error"
    assert "still broken" in out["message"]
    assert sum(1 for r in fake.requests if _purpose(r) == "repair") == 2


def test_server_errors_are_retried(ask: Ask, fake: FakeOpenAI) -> None:
    _script(fake, [FakeReply(status=500), json.dumps(TOTAL_BY_REGION)])
    code, out, _ = ask(SALES, "total sales by region")
    assert code == 0, out
    assert len([r for r in fake.requests if _purpose(r) == "plan"]) == 2


def test_a_hung_endpoint_falls_back_to_the_rules_planner(ask: Ask, fake: FakeOpenAI) -> None:
    fake.default = FakeReply(text="{}", delay_s=10)
    code, out, _ = ask(SALES, "total sales by region")
    assert code == 0 and out["status"] == "ok"
    assert any("rules planner" in note for note in out["plan"]["notes"])


def test_a_follow_up_sees_the_earlier_turn(ask: Ask, fake: FakeOpenAI) -> None:
    _script(fake, [json.dumps(TOTAL_BY_REGION)] * 3, answer="North led with the most sales.")
    ask(SALES, "total sales by region", "--thread", "t1")
    ask(SALES, "and which region was last?", "--thread", "t1")
    ask(SALES, "and which region was last?", "--thread", "t2")
    plans = [r["messages"][1]["content"] for r in fake.requests if _purpose(r) == "plan"]
    assert len(plans) == 3
    assert "Earlier in this conversation" not in plans[0]
    assert "total sales by region" in plans[1] and "North led with the most sales." in plans[1]
    assert "Earlier in this conversation" not in plans[2]  # another thread starts fresh


def test_a_wide_table_stays_within_the_token_budget(
    ask: Ask, fake: FakeOpenAI, tmp_path: Path
) -> None:
    wide = pd.DataFrame({f"measure_{i:03d}": range(20) for i in range(300)})
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    plan = json.loads(json.dumps(TOTAL_BY_REGION))
    plan["dataset"] = "wide.csv"
    plan["steps"] = [{"kind": "load"}, {"kind": "describe", "output": "summary"}]
    _script(fake, [json.dumps(plan)])
    ask(path, "describe the data", THREADLAB_LLM_PROMPT_TOKENS="3000")
    prompt = fake.requests[0]["messages"][1]["content"]
    assert len(prompt) // 3 <= 3000
    assert "measure_299" in prompt or "300 columns" in prompt


def test_no_raw_personal_data_reaches_the_llm(ask: Ask, fake: FakeOpenAI) -> None:
    plan = {
        "question": "q",
        "language": "en",
        "dataset": "customers.csv",
        "summary": "Customers per city",
        "steps": [
            {"kind": "load"},
            {
                "kind": "aggregate",
                "output": "by_city",
                "by": ["city"],
                "metrics": [{"column": "customer_id", "func": "count", "name": "customers"}],
            },
            {"kind": "top_n", "output": "top_spenders", "column": "total_spend", "n": 5},
        ],
    }
    _script(fake, [json.dumps(plan)], answer="Shanghai has the most customers.")
    code, out, _ = ask(CUSTOMERS, "how many customers per city, and who spends most?")
    assert code == 0, out
    assert {m["column"] for m in out["masked_columns"]} == {"name", "phone", "id_number", "email"}
    sent = _all_text(fake)
    raw = pd.read_csv(CUSTOMERS, dtype=str)
    for column in ("name", "phone", "id_number", "email"):
        leaked = [v for v in raw[column] if v in sent]
        assert not leaked, f"{column}: {leaked[:3]}"
    assert "NAME_" in sent or "PHONE_" in sent  # the top spenders went out as tokens
