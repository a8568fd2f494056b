"""Request → first line of user output: the sandbox executor vs a cold Python subprocess.

Both sides import pandas and matplotlib.pyplot before printing: the cold side pays for
the imports, the sandbox's warm zygote already holds them and adds every isolation
layer the host allows. Prints p50/p95 of each and their ratio as the last line; also
the throughput of N jobs submitted at once to a pool of one worker per core.

    .venv/bin/python benchmarks/sandbox_start.py [--runs 50] [--burst 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.events import Event
from sandbox.executor import Job
from sandbox.sandbox_executor import SandboxExecutor

CODE = "import pandas, matplotlib.pyplot\nprint('ready', flush=True)\n"


def first_line_executor(executor: SandboxExecutor) -> float:
    started = time.perf_counter()
    seen: list[float] = []

    def on_event(event: Event) -> None:
        if event.type == "log" and not seen:
            seen.append(time.perf_counter() - started)

    result = executor.run(Job(code=CODE), on_event)
    assert result.ok and seen, result.message
    return seen[0]


def first_line_cold() -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CODE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait()
    return elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as root:
        executor = SandboxExecutor(Path(root), workers=os.cpu_count() or 1)
        print(f"zygote started in {executor.warm():.2f} s; layers: {executor.layers}")
        first_line_executor(executor)
        cold, sandboxed = [], []
        for _ in range(args.runs):  # interleaved, so drift affects both sides alike
            cold.append(first_line_cold())
            sandboxed.append(first_line_executor(executor))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.burst) as pool:
            list(pool.map(lambda _: executor.run(Job(code=CODE)), range(args.burst)))
        burst_s = time.perf_counter() - started
        executor.close()

    c50, c95 = percentiles(cold)
    s50, s95 = percentiles(sandboxed)
    print(
        f"cold python -c 'import pandas, matplotlib.pyplot': p50 {c50 * 1000:.0f} ms, "
        f"p95 {c95 * 1000:.0f} ms ({args.runs} runs)"
    )
    print(
        f"sandbox executor (every layer this host allows): p50 {s50 * 1000:.0f} ms, "
        f"p95 {s95 * 1000:.0f} ms ({args.runs} runs)"
    )
    print(f"{args.burst} jobs at once: {burst_s:.2f} s, {args.burst / burst_s:.1f} jobs/s")
    print(f"ratio cold/sandbox p50: {c50 / s50:.2f}x")


if __name__ == "__main__":
    main()
