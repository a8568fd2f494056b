"""The API generated code uses to report steps, tables, charts and the answer.

Inside the sandbox the runner connects this module to the event pipe. Run outside the
sandbox (someone re-running saved code by hand) it prints a readable summary instead, so
the same script works in both places.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# Rows of each table sent with its event; the host shows a preview of at most this many.
EVENT_ROWS = 50
MIB = 1024 * 1024
# Where DuckDB spills: the work dir's hidden .spill dir (disk, even where the work dir
# is a tmpfs), so spilled blocks are not memory and vanish with the run.
DUCKDB_TEMP = ".spill/duckdb"
# A query running longer than this prints its progress, then again every this often.
PROGRESS_EVERY_S = 2.0


@dataclass(frozen=True)
class Room:
    """What the run may use, as the sandbox set it; None where nothing is set."""

    memory_bytes: int | None = None
    workdir_bytes: int | None = None
    # A tmpfs work dir: what is written there is memory, charged to the run's cgroup.
    workdir_in_memory: bool = False
    spill_bytes: int | None = None  # disk behind .spill, when it is not the work dir's
    max_processes: int | None = None  # processes and threads, the sandbox's own included


_channel: IO[str] | None = None
_room = Room()


def connect(channel: IO[str], room: Room | None = None) -> None:
    """Called by the runner before the program starts."""
    global _channel, _room
    _channel = channel
    _room = room or Room()


def duckdb_connect() -> Any:
    """An in-memory DuckDB connection set up by `duckdb_config`, reporting progress."""
    import duckdb  # here, not at the top: most programs never use it

    con = duckdb.connect(config=duckdb_config())
    # Progress is tracked for query() to print; DuckDB's own bar would garble the log.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    # Profiling without output: query() reads rows scanned and bytes spilled from it.
    con.execute("PRAGMA enable_profiling = 'no_output'")
    return con


def duckdb_config() -> dict[str, Any]:
    """DuckDB settings that keep a query inside the run's memory limit.

    DuckDB gets about half the limit for its buffers (pandas, Arrow and the results need
    the rest) and spills what does not fit to the work dir's .spill dir, up to the room
    the sandbox gives it there. Where .spill is not on disk of its own but on a tmpfs
    work dir, spilled blocks are memory too: the spill room is then a quarter of the
    limit. A query that needs more fails with DuckDB's own out-of-memory error. Its
    threads are at most half the run's process limit.
    """
    Path(DUCKDB_TEMP).mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "temp_directory": DUCKDB_TEMP,
        # Results are ordered explicitly; not keeping scan order lets DuckDB stream.
        "preserve_insertion_order": False,
    }
    spill: list[int] = []
    if _room.memory_bytes:
        config["memory_limit"] = f"{max(_room.memory_bytes // 2 // MIB, 32)}MB"
    if _room.max_processes:
        # DuckDB starts a thread per core, and threads count against the run's process
        # limit, shared with pyarrow's threads, the program's and the sandbox's own
        # processes. Measured: 40 DuckDB threads under a limit of 16 failed the run with
        # "can't start new thread", as a host with more cores than the limit would.
        cores = len(os.sched_getaffinity(0))
        config["threads"] = max(1, min(cores, _room.max_processes // 2))
    if _room.spill_bytes:
        spill.append(_room.spill_bytes)
    else:
        if _room.memory_bytes and _room.workdir_in_memory:
            spill.append(_room.memory_bytes // 4)
        if _room.workdir_bytes:
            spill.append(_room.workdir_bytes)
    if spill:
        config["max_temp_directory_size"] = f"{max(min(spill) // MIB, 1)}MB"
    return config


def query(con: Any, sql: str) -> Any:
    """Runs one DuckDB query and returns its result as a pandas DataFrame.

    A query that runs long prints how far it got every few seconds and, at the end, how
    many rows it scanned; one that had to spill says how much it wrote to disk.
    """
    return _watched(con, lambda: con.sql(sql).df())


def execute(con: Any, sql: str) -> None:
    """Runs one DuckDB statement (CREATE TABLE ... AS, say), reporting as `query` does."""
    _watched(con, lambda: con.execute(sql))


def _watched(con: Any, run: Callable[[], Any]) -> Any:
    started = time.monotonic()
    done = threading.Event()
    watcher = threading.Thread(target=_report_progress, args=(con, done, started), daemon=True)
    watcher.start()
    try:
        result = run()
    finally:
        done.set()
        watcher.join()
    seconds = time.monotonic() - started
    scanned, spilled = _query_stats(con)
    if seconds >= PROGRESS_EVERY_S:
        read = f" after scanning {scanned:,} rows" if scanned else ""
        print(f"Query finished in {seconds:,.1f} s{read}")
    if spilled:
        print(f"DuckDB spilled {spilled / MIB:,.1f} MB to disk to stay within its memory limit.")
    return result


def _report_progress(con: Any, done: threading.Event, started: float) -> None:
    while not done.wait(PROGRESS_EVERY_S):
        with contextlib.suppress(Exception):  # a query that just ended has no progress
            share = float(con.query_progress())
            if share >= 0:
                elapsed = time.monotonic() - started
                # DuckDB's estimate lags for aggregates that spill: time comes first.
                print(f"Query running for {elapsed:,.0f} s (DuckDB estimates {share:.0f}% done)")


def _query_stats(con: Any) -> tuple[int, int]:
    """Rows scanned and bytes spilled by the last query, from DuckDB's profiler."""
    try:
        info = json.loads(con.get_profiling_information(format="json"))
    except Exception:  # profiling off (a connection made elsewhere): nothing to say
        return 0, 0
    scanned = int(info.get("query", {}).get("total_rows_scanned", 0) or 0)
    spilled = int(info.get("system", {}).get("total_bytes_spilled", 0) or 0)
    return scanned, spilled


def _emit(kind: str, **data: Any) -> None:
    if _channel is None:
        return
    _channel.write(json.dumps({"type": kind, **data}, ensure_ascii=False, default=str) + "\n")
    _channel.flush()


@contextlib.contextmanager
def step(index: int, title: str) -> Iterator[None]:
    """Marks one plan step: started when entered, finished when left without error."""
    _emit("step_started", index=index, title=title)
    if _channel is None:
        print(f"[{index}] {title}")
    started = time.perf_counter()
    yield
    _emit("step_finished", index=index, title=title, seconds=time.perf_counter() - started)


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()  # numpy scalars become Python scalars
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        with contextlib.suppress(ValueError, TypeError):
            return value.isoformat()
    text = str(value)
    return None if text in {"NaT", "nan", "<NA>"} else text


def table(frame: Any, name: str, title: str = "", total_rows: int | None = None) -> Path:
    """Saves the table as `tables/<name>.csv` and reports its first rows.

    `total_rows` is given when `frame` holds only the first rows of a larger result (a
    DuckDB table too long to hand to pandas whole), so the reply says how many there are.
    """
    out = Path("tables") / f"{name}.csv"
    out.parent.mkdir(exist_ok=True)
    frame.to_csv(out, index=False, encoding="utf-8")
    head = frame.head(EVENT_ROWS)
    rows = [[_json_safe(v) for v in row] for row in head.itertuples(index=False, name=None)]
    _emit(
        "table",
        name=name,
        title=title or name,
        path=out.as_posix(),
        columns=[str(c) for c in frame.columns],
        rows=rows,
        total_rows=len(frame) if total_rows is None else total_rows,
        saved_rows=len(frame),
    )
    if _channel is None:
        shown = len(frame) if total_rows is None else f"first {len(frame)} of {total_rows}"
        print(f"{title or name} ({shown} rows) -> {out}")
        print(head.to_string(index=False))
    return out


def image(path: str | Path, title: str = "") -> None:
    """Reports a chart the program saved in the work dir."""
    given = Path(path)
    # The event's path is relative to the work dir, which is how the host finds the
    # collected file; a program that saved with an absolute path still gets its chart.
    if given.is_absolute() and given.is_relative_to(Path.cwd()):
        given = given.relative_to(Path.cwd())
    rel = given.as_posix()
    _emit("image", name=given.stem, path=rel, title=title)
    if _channel is None:
        print(f"chart: {rel}")


def answer(text: str) -> None:
    """Reports the answer to the question, in the question's language."""
    _emit("answer", text=text)
    if _channel is None:
        print(text)
