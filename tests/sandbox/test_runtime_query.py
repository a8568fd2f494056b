"""sandbox.runtime's DuckDB helpers: settings from the run's room, and queries that say
how far they got, what they scanned and what they spilled."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import runtime
from sandbox.limits import MIB
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import run_code

ROWS = 30_000_000
LONG_QUERY = "SELECT count(DISTINCT i % 7000001) FROM 'numbers.parquet'"


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # DuckDB's temp dir is relative to the run's work dir
    monkeypatch.setattr(runtime, "_room", runtime.Room())


def test_duckdb_gets_half_the_memory_and_a_bounded_spill_dir(
    room: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "_room", runtime.Room(1024 * MIB, 2048 * MIB, False))
    on_disk = runtime.duckdb_config()
    assert on_disk["memory_limit"] == "512MB"
    assert on_disk["max_temp_directory_size"] == "2048MB"
    assert Path(on_disk["temp_directory"]).is_dir()
    # A tmpfs work dir with disk of its own for spilling: that disk's size.
    monkeypatch.setattr(runtime, "_room", runtime.Room(1024 * MIB, 2048 * MIB, True, 8192 * MIB))
    assert runtime.duckdb_config()["max_temp_directory_size"] == "8192MB"
    # Without it, spilled blocks on a tmpfs are memory too: a quarter of the limit.
    monkeypatch.setattr(runtime, "_room", runtime.Room(1024 * MIB, 2048 * MIB, True))
    assert runtime.duckdb_config()["max_temp_directory_size"] == "256MB"
    # Outside the sandbox nothing is capped.
    monkeypatch.setattr(runtime, "_room", runtime.Room())
    assert "memory_limit" not in runtime.duckdb_config()


def test_duckdb_threads_stay_within_half_the_process_limit(
    room: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: set(range(96)))
    monkeypatch.setattr(runtime, "_room", runtime.Room(max_processes=64))
    assert runtime.duckdb_config()["threads"] == 32  # a 96-core host
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1})
    assert runtime.duckdb_config()["threads"] == 2  # never more than the cores
    monkeypatch.setattr(runtime, "_room", runtime.Room())
    assert "threads" not in runtime.duckdb_config()


def test_a_long_query_reports_progress_and_what_it_scanned(
    room: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runtime, "PROGRESS_EVERY_S", 0.2)
    con = runtime.duckdb_connect()
    con.execute(f"COPY (SELECT i FROM range({ROWS}) t(i)) TO 'numbers.parquet'")
    con.execute("SET threads = 1")  # slow enough to be watched on any machine
    frame = runtime.query(con, LONG_QUERY)
    assert int(frame.iloc[0, 0]) == 7000001
    out = capsys.readouterr().out
    assert "Query running for " in out and "% done)" in out
    assert f"after scanning {ROWS:,} rows" in out


def test_a_quick_query_prints_nothing(room: None, capsys: pytest.CaptureFixture[str]) -> None:
    con = runtime.duckdb_connect()
    assert runtime.query(con, "SELECT 42 AS answer")["answer"].tolist() == [42]
    assert capsys.readouterr().out == ""


def test_in_the_sandbox_duckdb_knows_the_process_limit_and_runs_within_it(
    executor: SandboxExecutor,
) -> None:
    code = (
        "import os\n"
        "from sandbox import runtime as tl\n"
        "con = tl.duckdb_connect()\n"
        "threads = con.execute(\"SELECT current_setting('threads')\").fetchall()[0][0]\n"
        "total = tl.query(con, 'SELECT sum(i) AS s FROM range(20000000) t(i)')['s'][0]\n"
        "print(tl._room.max_processes, threads, len(os.sched_getaffinity(0)), int(total))\n"
    )
    result = run_code(executor, code, max_processes=16)
    assert result.ok, result.stderr
    limit, threads, cores, total = (int(v) for v in result.stdout.split())
    assert (limit, threads, total) == (16, min(cores, 8), sum(range(20_000_000)))
