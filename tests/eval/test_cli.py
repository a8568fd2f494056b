"""`threadlab eval` end to end: the real CLI and pipeline (rules planner, real sandbox)
on the shipped question set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREADLAB = Path(sys.executable).with_name("threadlab")


def _env(home: Path) -> dict[str, str]:
    # No LLM settings from the developer's shell: the built-in rules planner answers.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADLAB_", "OPENAI_"))}
    env["THREADLAB_DATA_DIR"] = str(home / "data")
    env["THREADLAB_DB_PATH"] = str(home / "threadlab.db")
    return env


def _eval(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(THREADLAB), "eval", *args],
        capture_output=True, text=True, env=_env(home), timeout=600, cwd=home,
    )  # fmt: skip


def test_eval_runs_the_shipped_set_and_prints_a_json_report(tmp_path: Path) -> None:
    proc = _eval(tmp_path, str(ROOT / "examples" / "eval"), "--limit", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["questions"] == 2 and len(report["results"]) == 2
    assert set(report) >= {
        "accuracy", "label_accuracy", "by_concept", "by_level", "errors", "statuses", "results"
    }  # fmt: skip
    assert report["accuracy"]["total"] == 2
    assert 0.0 <= report["accuracy"]["accuracy"] <= 1.0
    assert report["by_concept"] and report["by_level"] == {"easy": report["by_level"]["easy"]}
    assert [r["id"] for r in report["results"]] == ["0", "1"]
    for result in report["results"]:
        assert result["status"] in {"ok", "error", "needs_approval", "blocked"}
        assert result["labels"] and result["duration_s"] > 0
    assert "[1/2] id=0" in proc.stderr and "[2/2] id=1" in proc.stderr


def test_a_bad_directory_is_a_harness_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = _eval(tmp_path, str(tmp_path / "empty"))
    assert proc.returncode == 1
    assert "exactly one *-questions.jsonl" in proc.stderr
    assert _eval(tmp_path, str(tmp_path / "missing")).returncode == 2  # click: no such dir
