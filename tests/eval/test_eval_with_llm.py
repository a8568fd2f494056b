"""`threadlab eval` through the LLM path: the answer the LLM writes is what gets scored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
THREADLAB = Path(sys.executable).with_name("threadlab")
DESCRIBE = {
    "question": "q",
    "language": "en",
    "dataset": "monthly_sales.csv",
    "summary": "Summary statistics",
    "steps": [{"kind": "load"}, {"kind": "describe", "output": "summary"}],
}


def _reply(request: dict[str, Any]) -> str:
    system = request["messages"][0]["content"]
    if "analysis planner" in system:
        return json.dumps(DESCRIBE)
    question = request["messages"][1]["content"]
    if "mean and the standard deviation" in question:
        return "The mean is 27,696.07. @mean_revenue[27696.07] @std_revenue[8361.38]"
    return "@top_region[West] @top_region_revenue[1.0]"  # wrong on purpose


def test_eval_scores_the_answers_the_llm_writes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_"))}
    with FakeOpenAI() as fake:
        fake.default = _reply
        env.update(
            THREADLAB_DATA_DIR=str(tmp_path / "data"),
            THREADLAB_DB_PATH=str(tmp_path / "t.db"),
            OPENAI_BASE_URL=fake.url,
            THREADLAB_LLM_MODEL="fake-model",
        )
        proc = subprocess.run(
            [str(THREADLAB), "eval", str(ROOT / "examples" / "eval"), "--limit", "2", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=True,
        )
    report = json.loads(proc.stdout)
    assert report["accuracy"] == {"correct": 1, "total": 2, "accuracy": 0.5}
    assert [r["correct"] for r in report["results"]] == [True, False]
    assert report["by_concept"]["Summary Statistics"]["accuracy"] == 0.5
