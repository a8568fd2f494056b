"""The store on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import Store


def test_migrations_apply_once_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "threadlab.db"
    store = Store(path)
    run_id = store.start_run("total sales by region", None)
    reopened = Store(path)  # applying migrations again must not fail or lose data
    assert reopened.get_run(run_id)["question"] == "total sales by region"
    with sqlite3.connect(path) as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
        names = [r[0] for r in db.execute("select name from _sqlite_migrations")]
    assert sorted(names) == [
        "add_conversations",
        "add_threads_and_llm_calls",
        "create_datasets_and_runs",
        "create_pii_values",
    ]


def test_a_run_is_recorded_before_work_starts(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    run_id = store.start_run("q", None)
    assert store.get_run(run_id)["status"] == "running"
    store.finish_run(run_id, status="ok", timings={"run": 1.5}, artifacts=["a.png"])
    run = store.get_run(run_id)
    assert run["status"] == "ok" and run["finished_at"]
    assert run["timings"] == '{"run": 1.5}'


def test_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No run with id nope"):
        Store(tmp_path / "t.db").get_run("nope")


def test_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="Cannot open the database"):
        Store(blocker / "t.db")


def test_an_event_delivered_twice_is_claimed_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    assert store.claim_event("Ev1") is True
    assert store.claim_event("Ev1") is False
    assert Store(tmp_path / "t.db").claim_event("Ev1") is False  # across restarts too


def test_a_decision_is_claimed_by_exactly_one_caller(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "t.db"
    Store(path).hold_for_approval("run1", "C1:1.0", "U1", {"question": "q"})

    def click(user: str) -> bool:
        return Store(path).decide("run1", "approved", user) is not None

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(click, [f"U{i}" for i in range(8)]))
    assert wins.count(True) == 1
    approval = Store(path).approval("run1")
    assert approval is not None and approval["status"] == "approved"
    assert approval["request"] == {"question": "q"}
    assert Store(path).decide("run1", "rejected", "U9") is None


def test_thread_datasets_stay_in_their_thread_and_can_be_forgotten(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    store.add_thread_dataset("C1:1.0", "d1", "a.csv", "/x/a.csv", "U1")
    store.add_thread_dataset("C1:1.0", "d2", "b.csv", "/x/b.csv", "U1")
    store.add_thread_dataset("C2:5.0", "d3", "c.csv", "/x/c.csv", "U2")
    assert [d["name"] for d in store.thread_datasets("C1:1.0")] == ["a.csv", "b.csv"]
    assert store.thread_datasets("C1:2.0") == []
    assert store.threads_in("C1:") == ["C1:1.0"]
    removed = store.forget_thread("C1:1.0")
    assert [d["path"] for d in removed] == ["/x/a.csv", "/x/b.csv"]
    assert store.thread_datasets("C1:1.0") == []
    assert [d["name"] for d in store.thread_datasets("C2:5.0")] == ["c.csv"]
