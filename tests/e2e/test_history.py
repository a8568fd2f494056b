"""Every run is recorded; `threadlab history` lists them, newest first."""

from __future__ import annotations

import json
import subprocess

from tests.e2e.conftest import EXAMPLES, THREADLAB, Ask


def test_history_lists_runs_newest_first(ask: Ask, threadlab_env: dict[str, str]) -> None:
    first = ask(EXAMPLES / "sales_daily.csv", "total sales by region")
    second = ask(EXAMPLES / "sales_daily.csv", "what is the meaning of life?")
    proc = subprocess.run(
        [str(THREADLAB), "history", "--json", "--limit", "50"],
        capture_output=True,
        text=True,
        env=threadlab_env,
        timeout=60,
        check=True,
    )
    runs = json.loads(proc.stdout)
    ids = [r["id"] for r in runs]
    assert ids.index(second.json["run_id"]) < ids.index(first.json["run_id"])
    by_id = {r["id"]: r for r in runs}
    assert by_id[first.json["run_id"]]["status"] == "ok"
    assert by_id[first.json["run_id"]]["dataset"] == "sales_daily.csv"
    assert by_id[second.json["run_id"]]["status"] == "error"
