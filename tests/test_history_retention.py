"""Code history in git, retention of data, interrupted runs and the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from bot.history import CodeHistory, RunRecord
from bot.retention import DAY_S, purge
from bot.store import Store


def _record(run_id: str, code: str = "print(1)\n") -> RunRecord:
    return RunRecord(
        run_id=run_id,
        question="total sales by region",
        user="U1",
        thread="C1:1.0",
        status="ok",
        plan={"summary": "sum"},
        code=code,
        inputs={"sales.csv": "ab" * 32},
    )


def test_each_run_is_one_commit_naming_the_request(tmp_path: Path) -> None:
    history = CodeHistory(tmp_path / "code")
    first = history.commit(_record("run1"))
    second = history.commit(_record("run2", "print(2)\n"))
    assert first != second
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "code"), "log", "--format=%B"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Run run2: total sales by region" in log and "Asked by U1 in C1:1.0" in log
    assert history.code("run1") == "print(1)\n" and history.code("nope") is None
    inputs = (tmp_path / "code" / "runs" / "run1" / "inputs.json").read_text()
    assert json.loads(inputs) == {"sales.csv": "ab" * 32}


def test_retention_deletes_expired_data_and_nothing_else(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(tmp_path / "t.db")
    old, new = data / "datasets" / "old1", data / "datasets" / "new1"
    for folder in (old, new, data / "uploads" / "C1_1.0", data / "runs" / "r1"):
        folder.mkdir(parents=True)
        (folder / "f").write_text("x")
    (data / "pii.key").write_bytes(b"k" * 32)  # not an expiring folder: kept
    store.save_tokens("old1", {"NAME_1": ("name", "张伟")})
    store.save_tokens("new1", {"NAME_2": ("name", "李娜")})
    past = time.time() - 40 * DAY_S
    for path in (old, old / "f", data / "runs" / "r1", data / "runs" / "r1" / "f"):
        os.utime(path, (past, past))
    purged = purge(data, store, days=30)
    assert sorted(p.name for p in purged.paths) == ["old1", "r1"]
    assert not old.exists() and new.exists() and (data / "uploads" / "C1_1.0").exists()
    assert (data / "pii.key").exists()
    assert store.tokens("old1") == {} and store.tokens("new1") == {"NAME_2": "李娜"}


def test_runs_left_running_by_a_crash_are_marked_interrupted(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    crashed = store.start_run("q1", None, "C1:1.0", "U1")
    done = store.start_run("q2", None)
    store.finish_run(done, status="ok")
    left = Store(tmp_path / "t.db").mark_interrupted()  # the next process
    assert [r["id"] for r in left] == [crashed] and left[0]["thread"] == "C1:1.0"
    assert store.get_run(crashed)["status"] == "interrupted"
    assert store.get_run(done)["status"] == "ok"


def test_the_audit_trail_joins_runs_and_decisions(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    run = store.start_run("q", None, "C1:1.0", "U1")
    store.finish_run(run, status="needs_approval", code="import rich\n")
    store.hold_for_approval(run, "C1:1.0", "U1", {"question": "q"})
    store.decide(run, "approved", "UAPPROVER")
    other = store.start_run("q2", None, None, "U2")
    rows = store.audit()
    assert [r["run_id"] for r in rows] == [other, run]
    assert rows[1]["decision"] == "approved" and rows[1]["decided_by"] == "UAPPROVER"
    assert [r["run_id"] for r in store.audit(user="U1")] == [run]


def test_rerun_reproduces_a_stored_run_and_runs_its_code_on_a_new_file(tmp_path: Path) -> None:
    import pandas as pd
    from rich.console import Console

    from bot.assembly import build_pipeline
    from bot.models import Request
    from bot.settings import Settings
    from handlers.terminal import TerminalReply

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        db_path=tmp_path / "t.db",
    )
    pipeline = build_pipeline(settings)
    reply = TerminalReply(Console(file=open(os.devnull, "w")))  # noqa: SIM115
    sales = Path(__file__).resolve().parents[1] / "examples" / "sales_daily.csv"
    first = pipeline.ask(Request(data=sales, question="total sales by region"), reply)
    assert first.ok, first.message
    again = pipeline.replay(first.run_id, None, reply)
    assert again.ok and again.answer == first.answer and again.code == first.code
    # The same code on another file: the rows of one region only.
    north = tmp_path / "north.csv"
    frame = pd.read_csv(sales)
    frame[frame["region"] == "North"].to_csv(north, index=False)
    other = pipeline.replay(first.run_id, north, reply)
    assert other.ok and other.answer != first.answer and "North" in other.answer
    log = CodeHistory(settings.resolved_code_repo()).log()
    assert len(log) == 3 and any(first.run_id in line for line in log)
    pipeline.executor.close()  # type: ignore[attr-defined]
