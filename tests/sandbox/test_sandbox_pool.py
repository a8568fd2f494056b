"""The worker pool: at most `workers` jobs at once, the rest queued and told their place."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox import jail
from sandbox.errors import SandboxError
from sandbox.events import Event
from sandbox.isolation import Isolation, resolve
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import run_code

JOB = "import time\nprint(time.time(), flush=True)\ntime.sleep(0.4)\nprint(time.time())"


def _run_at_once(executor: SandboxExecutor, n: int) -> tuple[list[list[float]], list[list[int]]]:
    """Submits n jobs together; returns each job's (start, end) and the queue places it
    was told."""
    places: list[list[int]] = [[] for _ in range(n)]
    lock = threading.Lock()

    def one(i: int) -> list[float]:
        def on_event(event: Event) -> None:
            if event.type == "queued":
                with lock:
                    places[i].append(int(event.data["position"]))

        result = run_code(executor, JOB, on_event=on_event)
        assert result.status == "ok", result.stderr
        return [float(x) for x in result.stdout.split()]

    with ThreadPoolExecutor(n) as pool:
        spans = list(pool.map(one, range(n)))
    return spans, places


def test_one_worker_runs_jobs_one_at_a_time_and_tells_the_queue(
    executor: SandboxExecutor,
) -> None:
    spans, places = _run_at_once(executor, 3)
    ordered = sorted(spans)
    for before, after in itertools.pairwise(ordered):
        assert before[1] <= after[0]  # never two at once
    told = sorted(p for job in places for p in job)
    # Three arrivals for one worker: someone waited second in line, someone first.
    assert 2 in told and 1 in told
    assert max(told) <= 2
    assert executor.queued == 0


def test_two_workers_run_two_jobs_at_once(tmp_path: Path, font_cache_root: Path) -> None:
    pool = SandboxExecutor(tmp_path / "pool", workers=2, font_cache_root=font_cache_root)
    try:
        pool.warm()
        spans, places = _run_at_once(pool, 2)
    finally:
        pool.close()
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end  # they overlapped
    assert places == [[], []]


@pytest.mark.skipif(not resolve(Isolation()).jail, reason="no jail on this host")
def test_a_worker_that_cannot_isolate_fails_the_job_instead_of_hanging(
    tmp_path: Path, font_cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A root the workers cannot build: each one fails before it is ready.
    monkeypatch.setattr(jail, "system_paths", lambda: ("/nonexistent-threadlab-dir",))
    broken = SandboxExecutor(tmp_path / "broken", font_cache_root=font_cache_root)
    try:
        with pytest.raises(SandboxError, match="isolating the job failed"):
            run_code(broken, "print('never')", wall_time_s=30)
    finally:
        broken.close()


def test_a_relative_work_root_works_from_any_directory(
    tmp_path: Path, font_cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings may name the data dir relative to where the bot starts (the demo does).
    monkeypatch.chdir(tmp_path)
    relative = SandboxExecutor(Path("data/work"), font_cache_root=font_cache_root)
    try:
        result = run_code(relative, "print('ran')")
    finally:
        relative.close()
    assert result.status == "ok", result.stderr
    assert relative.work_root == tmp_path / "data" / "work"
