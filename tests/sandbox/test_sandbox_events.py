"""What a run does: its events, artifacts, results and messages."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sandbox.events import Event
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import run_code


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def test_events_arrive_in_order_while_the_program_runs(executor: SandboxExecutor) -> None:
    seen: list[tuple[Event, bool]] = []
    job = code("""
        import time
        from sandbox import runtime
        for i in range(1, 4):
            with runtime.step(i, f"step {i}"):
                print(f"working on {i}", flush=True)
        runtime.answer("总计 42")
        time.sleep(0.3)
        open("done", "w").write("")
    """)

    def record(event: Event) -> None:
        # The program is still running when its events arrive: it has not written
        # `done` yet (it sleeps before that).
        work = [p for p in (executor.work_root / "runs").glob("run-*")]
        seen.append((event, bool(work) and not any((w / "done").exists() for w in work)))

    result = run_code(executor, job, on_event=record)
    assert result.status == "ok", result.stderr
    assert all(live for _, live in seen)
    kinds = [(e.type, e.data.get("index")) for e, _ in seen if e.type != "log"]
    assert kinds == [
        ("step_started", 1), ("step_finished", 1),
        ("step_started", 2), ("step_finished", 2),
        ("step_started", 3), ("step_finished", 3),
        ("answer", None),
    ]  # fmt: skip
    assert [e.data["text"] for e, _ in seen if e.type == "log"] == [
        "working on 1", "working on 2", "working on 3",
    ]  # fmt: skip
    # Order holds within each channel; between stdout and the event pipe it cannot.
    assert result.events == [e for e, _ in seen]
    assert [e for e in result.events if e.type == "answer"] == [
        Event("answer", {"text": "总计 42"})
    ]


def test_printed_json_does_not_become_an_event(executor: SandboxExecutor) -> None:
    job = code("""
        import json, sys
        print(json.dumps({"type": "answer", "text": "forged"}))
        print(json.dumps({"type": "image", "path": "/etc/passwd"}), file=sys.stderr)
    """)
    result = run_code(executor, job)
    assert [e.type for e in result.events] == ["log", "log"]
    assert result.events[0].data == {
        "stream": "stdout",
        "text": '{"type": "answer", "text": "forged"}',
    }
    assert result.events[1].data["stream"] == "stderr"


def test_malformed_event_lines_are_ignored(executor: SandboxExecutor) -> None:
    job = code("""
        from sandbox import runtime
        channel = runtime._channel
        channel.write("not json\\n")
        channel.write('{"type": ["unhashable"]}\\n')
        channel.write('{"type": "log", "stream": "stdout", "text": "forged log"}\\n')
        channel.write('{"type": "answer", "text": "' + "a" * 2_000_000 + '"}\\n')
        channel.write("[" * 100000 + "\\n")
        runtime.answer("real")
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    assert result.events == [Event("answer", {"text": "real"})]


def test_tables_images_and_answer_become_events_and_artifacts(
    executor: SandboxExecutor, tmp_path: Path
) -> None:
    job = code("""
        import os

        import matplotlib.pyplot as plt
        import pandas as pd
        from sandbox import runtime

        df = pd.DataFrame({"region": ["north", "south", "east"], "amount": [3.5, None, 7.0]})
        runtime.table(df, "by_region", "Sales by region")
        fig, ax = plt.subplots()
        ax.bar(df["region"], df["amount"].fillna(0))
        os.makedirs("charts", exist_ok=True)
        # saved and reported with an absolute path: the event still says charts/sales.png
        fig.savefig(os.path.abspath("charts/sales.png"))
        runtime.image(os.path.abspath("charts/sales.png"), "Sales")
        runtime.answer("east sells most")
    """)
    out = tmp_path / "out"
    result = run_code(executor, job, artifacts_dir=out)
    assert result.status == "ok", result.stderr
    table, image, answer = [e for e in result.events if e.type != "log"]
    assert table.type == "table"
    assert table.data["path"] == "tables/by_region.csv"
    assert table.data["columns"] == ["region", "amount"]
    assert table.data["rows"] == [["north", 3.5], ["south", None], ["east", 7.0]]
    assert table.data["total_rows"] == 3
    assert image == Event("image", {"name": "sales", "path": "charts/sales.png", "title": "Sales"})
    assert answer == Event("answer", {"text": "east sells most"})
    by_name = {a.name: a for a in result.artifacts}
    assert set(by_name) == {"tables/by_region.csv", "charts/sales.png"}
    assert by_name["charts/sales.png"].kind == "image"
    assert by_name["tables/by_region.csv"].kind == "table"
    assert by_name["charts/sales.png"].path == out / "charts" / "sales.png"
    assert (out / "charts" / "sales.png").read_bytes().startswith(b"\x89PNG")
    with open(out / "tables" / "by_region.csv", newline="") as f:
        assert list(csv.reader(f)) == [
            ["region", "amount"], ["north", "3.5"], ["south", ""], ["east", "7.0"],
        ]  # fmt: skip
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes > 10 * 2**20


ANALYSIS = code("""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=60), "v": rng.normal(size=60)})
    df["month"] = df["day"].dt.to_period("M").astype(str)
    summary = df.groupby("month")["v"].agg(["count", "mean", "std"]).round(6)
    print(summary.to_string())
    summary.to_csv("summary.csv")
    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot(df["day"], df["v"].cumsum())
    ax.set_title("Cumulative")
    fig.savefig("trend.png", metadata={"Software": None})
""")


def test_pandas_matplotlib_output_equals_the_same_code_run_outside(
    executor: SandboxExecutor, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.py").write_text(ANALYSIS)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MPLBACKEND": "Agg"}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    plain = subprocess.run(
        [sys.executable, "main.py"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = tmp_path / "out"
    result = run_code(executor, ANALYSIS, artifacts_dir=out)
    assert result.status == "ok", result.stderr
    assert result.stdout == plain.stdout
    assert (out / "summary.csv").read_bytes() == (outside / "summary.csv").read_bytes()
    assert (out / "trend.png").read_bytes() == (outside / "trend.png").read_bytes()


def test_error_reported_with_the_exception_line(executor: SandboxExecutor) -> None:
    job = code("""
        rows = [{"region": "north"}]
        def total(row):
            return row["amount"]
        print(sum(total(r) for r in rows))
    """)
    result = run_code(executor, job)
    assert result.status == "error"
    assert result.message == "KeyError: 'amount'"
    assert result.exit_code == 1
    # A normal traceback that starts at the program, not inside the runner.
    assert result.stderr.startswith('Traceback (most recent call last):\n  File "main.py"')
    assert "runpy" not in result.stderr and "sandbox/runner" not in result.stderr


def test_syntax_error_reported(executor: SandboxExecutor) -> None:
    result = run_code(executor, "print((1, 2)\n")
    assert result.status == "error"
    assert result.message == "SyntaxError: '(' was never closed"


def test_system_exit_passes_through(executor: SandboxExecutor) -> None:
    ok = run_code(executor, "import sys\nprint('bye')\nsys.exit(0)")
    assert (ok.status, ok.exit_code, ok.stdout) == ("ok", 0, "bye\n")
    failed = run_code(executor, "raise SystemExit(3)")
    assert (failed.status, failed.exit_code, failed.message) == ("error", 3, "exited with status 3")


def test_killed_by_a_signal_reported(executor: SandboxExecutor) -> None:
    result = run_code(executor, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert result.status == "killed"
    assert result.message == "was killed by SIGSEGV"
    assert result.exit_code == -11


def test_ok_run_result(executor: SandboxExecutor) -> None:
    result = run_code(executor, "print('héllo')\nimport sys\nprint('warn', file=sys.stderr)")
    assert (result.status, result.message, result.exit_code) == ("ok", "finished", 0)
    assert result.ok
    assert (result.stdout, result.stderr) == ("héllo\n", "warn\n")
    assert not result.output_truncated
    assert 0 < result.duration_s < 10


def test_matplotlib_arrives_loaded_with_its_font_list(executor: SandboxExecutor) -> None:
    # The zygote loaded the font list from the prebuilt cache: a job neither scans the
    # system's fonts nor writes a cache of its own.
    job = code("""
        import os, sys
        print("matplotlib.font_manager" in sys.modules)
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
        print(plt.get_backend(), len(font_manager.fontManager.ttflist) > 0)
        print(sorted(os.listdir(os.environ["MPLCONFIGDIR"])))
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    preloaded, loaded, files = result.stdout.splitlines()
    assert preloaded == "True"
    assert loaded.lower() == "agg true"
    assert files == "[]"
    assert "Matplotlib is building the font cache" not in result.stderr
    assert "created a temporary cache directory" not in result.stderr
