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
