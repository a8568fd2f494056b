"""What a run cannot do: the sandbox's specification, one limit per test."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from sandbox import namespaces
from sandbox.events import Event
from sandbox.memory import memory_limit_mechanism, process_limit_mechanism
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import (
    MIB,
    is_root,
    run_code,
    sleeper_marker,
    start_sleeper_code,
    wait_sleeper_gone,
)

needs_memory_cgroup = pytest.mark.skipif(
    memory_limit_mechanism() == "rlimit", reason="no writable memory cgroup on this host"
)
needs_pids_cgroup = pytest.mark.skipif(
    process_limit_mechanism() != "cgroup",
    reason="no writable pids cgroup here (and RLIMIT_NPROC is per uid)",
)


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def test_cant_see_parent_environment(
    executor: SandboxExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLAB_TEST_SECRET", "s3cr3t-token")
    result = run_code(executor, "import os\nprint(dict(os.environ))")
    assert result.status == "ok", result.stderr
    assert "s3cr3t-token" not in result.stdout
    env = eval(result.stdout)  # the job printed a dict literal
    assert set(env) <= {
        "PATH", "HOME", "TMPDIR", "LANG", "MPLBACKEND", "MPLCONFIGDIR",
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
        "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
    }  # fmt: skip
    assert env["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert env["OMP_NUM_THREADS"] == "1"
    cwd = env["HOME"].rsplit("/", 1)[0]
    assert env["TMPDIR"].startswith(cwd) and env["MPLCONFIGDIR"].startswith(cwd)


needs_pidns = pytest.mark.skipif(
    not namespaces.usable_flags() & namespaces.CLONE_NEWPID,
    reason="this host does not allow new PID and mount namespaces (needs root or userns)",
)


@needs_pidns
def test_cant_read_parent_environment_through_proc(executor: SandboxExecutor) -> None:
    # The bot's secrets sit in its initial environment, which /proc/PID/environ shows
    # (a variable set later with putenv does not appear there, so the test checks that
    # the file cannot be read at all).
    job = code(f"""
        try:
            open("/proc/{os.getpid()}/environ", "rb").read()
            print("readable")
        except OSError:
            print("hidden")
    """)
    assert run_code(executor, job).stdout.strip() == "hidden"


@needs_pidns
def test_cant_see_other_processes(executor: SandboxExecutor) -> None:
    job = code("""
        import os
        print(os.getpid(), sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    # The job is PID 2 under the namespace's init; nothing of the host shows.
    assert result.stdout.strip() == "2 [1, 2]"


@needs_pidns
def test_cant_signal_the_host(executor: SandboxExecutor) -> None:
    job = code(f"""
        import os, signal
        try:
            os.kill({os.getpid()}, signal.SIGTERM)
            print("sent")
        except ProcessLookupError:
            print("no such process")
    """)
    assert run_code(executor, job).stdout.strip() == "no such process"


def test_cant_inherit_host_descriptors(executor: SandboxExecutor, tmp_path: Path) -> None:
    with open(tmp_path / "host.txt", "w"):  # a descriptor the host holds during the run
        result = run_code(executor, "import os\nprint(len(os.listdir('/proc/self/fd')))")
    # stdin, stdout, stderr, the event pipe, and the one listdir itself opened
    assert result.stdout.strip() == "5"


@pytest.mark.parametrize("kind", ["cgroup", "rlimit"])
def test_wall_time_kills_whole_group(
    executor: SandboxExecutor, rlimit_executor: SandboxExecutor, kind: str
) -> None:
    marker = sleeper_marker()
    job = start_sleeper_code(marker) + code("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        start_sleeper()
        time.sleep(60)
    """)
    chosen = executor if kind == "cgroup" else rlimit_executor
    started = time.monotonic()
    result = run_code(chosen, job, wall_time_s=3.0)
    assert time.monotonic() - started < 12
    assert result.status == "timeout"
    assert result.message == "ran longer than the 3 s time limit and was stopped"
    assert result.exit_code == -9
    assert "sleeper running" in result.stdout
    assert wait_sleeper_gone(marker)


def test_cpu_spin_stopped_by_cpu_limit(executor: SandboxExecutor) -> None:
    result = run_code(executor, "while True:\n    pass", cpu_time_s=1, wall_time_s=15)
    assert result.status == "cpu_limit"
    assert result.message == "used more than the 1 s CPU time limit and was stopped"


def test_cpu_spin_ignoring_sigxcpu_still_stopped(executor: SandboxExecutor) -> None:
    job = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass"
    result = run_code(executor, job, cpu_time_s=1, wall_time_s=15)
    assert result.status == "cpu_limit"
    assert result.exit_code == -9  # the hard limit, a few seconds later


def test_stdout_flood_stopped(executor: SandboxExecutor) -> None:
    seen: list[Event] = []
    job = "import time\nwhile True:\n    print('x' * 99)\n    time.sleep(0)"
    result = run_code(executor, job, output_bytes=64 * 1024, on_event=seen.append)
    assert result.status == "output_limit"
    assert result.output_truncated
    assert result.message == "printed more than the 64 KB output limit and was stopped"
    assert len(result.stdout.encode()) + len(result.stderr.encode()) <= 64 * 1024
    logs = [e for e in seen if e.type == "log"]
    assert logs and all(e.data == {"stream": "stdout", "text": "x" * 99} for e in logs[:-1])


def test_one_huge_line_stopped(executor: SandboxExecutor) -> None:
    job = "import sys, time\nsys.stdout.write('y' * 10_000_000)\nsys.stdout.flush()\ntime.sleep(30)"
    seen: list[Event] = []
    started = time.monotonic()
    result = run_code(executor, job, output_bytes=100_000, on_event=seen.append)
    assert time.monotonic() - started < 10  # stopped by the cap, not the wall time
    assert result.status == "output_limit"
    assert result.output_truncated
    assert result.stdout == "y" * 100_000
    # sent in pieces: a consumer never holds one huge log line
    assert all(len(e.data["text"]) <= 16 * 1024 for e in seen if e.type == "log")
    assert sum(len(e.data["text"]) for e in seen if e.type == "log") == 100_000


def test_stderr_counts_towards_the_output_cap(executor: SandboxExecutor) -> None:
    job = "import sys, time\nwhile True:\n    print('e' * 99, file=sys.stderr)"
    result = run_code(executor, job, output_bytes=32 * 1024)
    assert result.status == "output_limit"
    assert len(result.stderr) <= 32 * 1024


_BOMB = code("""
    chunks = []
    while True:
        chunks.append(b"m" * (8 * 1024 * 1024))  # touched, so it is really resident
""")


@needs_memory_cgroup
def test_memory_bomb_reported_as_out_of_memory(executor: SandboxExecutor) -> None:
    result = run_code(executor, _BOMB, memory_bytes=300 * MIB)
    assert result.status == "out_of_memory"
    assert result.message == "ran out of memory at the 300 MB limit"
    assert result.peak_memory_bytes is not None
    assert result.peak_memory_bytes <= 300 * MIB


def test_memory_bomb_reported_as_out_of_memory_without_cgroups(
    rlimit_executor: SandboxExecutor,
) -> None:
    result = run_code(rlimit_executor, _BOMB, memory_bytes=300 * MIB)
    assert result.status == "out_of_memory"
    assert result.message == "ran out of memory at the 300 MB limit"
    assert "MemoryError" in result.stderr


@pytest.mark.parametrize("kind", ["cgroup", "rlimit"])
def test_double_forked_daemon_does_not_survive(
    executor: SandboxExecutor, rlimit_executor: SandboxExecutor, kind: str
) -> None:
    # setsid leaves the process group: only the cgroup or the PID namespace still holds
    # the daemon.
    chosen = executor if kind == "cgroup" else rlimit_executor
    pidns = bool(namespaces.usable_flags() & namespaces.CLONE_NEWPID)
    if chosen.memory_limit_mechanism == "rlimit" and not pidns:
        pytest.skip("without a cgroup or a PID namespace a setsid daemon escapes")
    marker = sleeper_marker()
    job = start_sleeper_code(marker) + code("""
        import os
        if os.fork() == 0:
            try:
                os.setsid()
            except PermissionError:
                pass  # forbidden by the seccomp filter; the daemon still loses its parent
            start_sleeper()  # the sleeper is a daemon: new session, parent gone
            os._exit(0)
        os.wait()
        time.sleep(0.5)
    """)
    result = run_code(chosen, job)
    assert result.status == "ok", result.stderr
    assert "sleeper running" in result.stdout
    assert wait_sleeper_gone(marker)


def test_background_child_in_group_does_not_survive_without_cgroups(
    rlimit_executor: SandboxExecutor,
) -> None:
    marker = sleeper_marker()
    job = start_sleeper_code(marker) + "start_sleeper()\n"
    result = run_code(rlimit_executor, job)
    assert result.status == "ok", result.stderr
    assert "sleeper running" in result.stdout
    assert wait_sleeper_gone(marker)


@pytest.mark.skipif(not is_root(), reason="as non-root RLIMIT_NPROC counts the whole uid")
@needs_pids_cgroup
def test_cant_fork_past_process_limit(executor: SandboxExecutor) -> None:
    job = code("""
        import os, time
        started = 0
        for _ in range(40):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                started += 1
            except OSError:
                break
        print(started)
    """)
    result = run_code(executor, job, max_processes=8)
    assert result.status == "ok", result.stderr
    assert int(result.stdout) < 8


@needs_pids_cgroup
def test_thread_bomb_stopped_at_the_process_limit(executor: SandboxExecutor) -> None:
    # Threads count against the pids cgroup like processes: the 40th cannot start.
    job = code("""
        import threading, time
        started = []
        try:
            for _ in range(40):
                t = threading.Thread(target=time.sleep, args=(30,), daemon=True)
                t.start()
                started.append(t)
        except RuntimeError as exc:
            print("refused:", exc)
        print(len(started))
    """)
    result = run_code(executor, job, max_processes=8)
    assert result.status == "ok", result.stderr
    refused, count = result.stdout.splitlines()
    assert refused == "refused: can't start new thread"
    assert int(count) < 8


def test_cant_open_more_files_than_the_limit(executor: SandboxExecutor) -> None:
    job = code("""
        files = []
        try:
            while True:
                files.append(open("main.py"))
        except OSError as exc:
            print(len(files), exc.errno)
    """)
    result = run_code(executor, job, open_files=32)
    count, errno_ = result.stdout.split()
    assert int(count) < 32 and int(errno_) == 24  # EMFILE


def test_file_size_limit(executor: SandboxExecutor, tmp_path: Path) -> None:
    job = "with open('big.txt', 'wb') as f:\n    f.write(b'z' * (3 * 1024 * 1024))"
    out = tmp_path / "out"
    result = run_code(executor, job, file_size_bytes=1 * MIB, artifacts_dir=out)
    assert result.status == "error"
    assert "File too large" in result.message
    big = out / "big.txt"
    assert not big.exists() or big.stat().st_size <= 1 * MIB


def test_cant_leave_a_core_dump(executor: SandboxExecutor) -> None:
    result = run_code(executor, "import resource\nprint(resource.getrlimit(resource.RLIMIT_CORE))")
    assert result.stdout.strip() == "(0, 0)"


def test_symlinked_chart_not_collected(executor: SandboxExecutor, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG not yours")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "keys.txt").write_text("private")
    job = code(f"""
        import os
        from sandbox import runtime
        os.symlink({str(outside)!r}, "chart.png")
        os.symlink({str(tmp_path / "secrets")!r}, "tables")
        runtime.image("chart.png")
        print("planted")
    """)
    out = tmp_path / "out"
    result = run_code(executor, job, artifacts_dir=out)
    assert result.stdout.strip() == "planted"
    assert result.artifacts == []
    assert not (out / "chart.png").exists() and not (out / "tables").exists()
    assert outside.read_bytes() == b"\x89PNG not yours"  # and the original is untouched


def test_hard_linked_file_not_collected(executor: SandboxExecutor, tmp_path: Path) -> None:
    # A hard link is indistinguishable from its original; where no jail hides the
    # host's files it could be one to a file outside, so no multiply-linked file is
    # collected.
    job = "import os\nopen('data.csv', 'w').write('a,1\\n')\nos.link('data.csv', 'copy.csv')"
    out = tmp_path / "out"
    result = run_code(executor, job, artifacts_dir=out)
    assert result.status == "ok", result.stderr
    assert result.artifacts == []
    assert not (out / "data.csv").exists() and not (out / "copy.csv").exists()


def test_work_dir_is_removed(executor: SandboxExecutor) -> None:
    job = "open('left.csv', 'w').write('a')\nprint('wrote', flush=True)\nraise SystemExit(2)"
    before = set((executor.work_root / "runs").glob("run-*"))
    result = run_code(executor, job)
    assert result.status == "error" and result.stdout == "wrote\n"
    assert set((executor.work_root / "runs").glob("run-*")) == before


def test_work_dir_removed_and_run_killed_when_the_host_callback_fails(
    executor: SandboxExecutor,
) -> None:
    def explode(event: Event) -> None:
        if event.type == "log":
            raise RuntimeError("the host went away")

    job = "import os, time\nprint(os.getcwd(), os.getpid(), flush=True)\ntime.sleep(60)"
    before = set((executor.work_root / "runs").glob("run-*"))
    with pytest.raises(RuntimeError, match="went away"):
        run_code(executor, job, on_event=explode)
    assert set((executor.work_root / "runs").glob("run-*")) == before


def test_inputs_never_change_the_hosts_file(executor: SandboxExecutor, tmp_path: Path) -> None:
    # A copy where no jail exists, a read-only bind where one does: either way the
    # host's file stays as it was.
    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,3\n")
    job = code("""
        print(open("data/sales.csv").read(), end="")
        try:
            open("data/sales.csv", "w").write("gone")
        except OSError:
            pass
    """)
    out = tmp_path / "out"
    result = run_code(executor, job, inputs={"data/sales.csv": source}, artifacts_dir=out)
    assert result.stdout == "region,amount\nnorth,3\n"
    assert source.read_text() == "region,amount\nnorth,3\n"
    assert result.artifacts == []  # an input is not an output, even when rewritten


@pytest.mark.parametrize("name", ["../escape.csv", "/etc/passwd", "main.py", ".home/x.csv", ""])
def test_input_names_stay_inside_the_work_dir(
    executor: SandboxExecutor, tmp_path: Path, name: str
) -> None:
    from sandbox.errors import BadInputName

    source = tmp_path / "x.csv"
    source.write_text("a\n")
    with pytest.raises(BadInputName):
        run_code(executor, "pass", inputs={name: source})


def test_artifact_count_and_size_caps(executor: SandboxExecutor, tmp_path: Path) -> None:
    job = code("""
        for i in range(8):
            open(f"part{i}.txt", "w").write("ok")
        open("huge.csv", "wb").write(b"0" * 300_000)
        open("notes.exe", "w").write("not an allowed type")
    """)
    out = tmp_path / "out"
    result = run_code(executor, job, artifacts_dir=out, max_artifacts=5, artifact_bytes=100_000)
    assert [a.name for a in result.artifacts] == [f"part{i}.txt" for i in range(5)]
    assert {p.name for p in out.iterdir()} == {f"part{i}.txt" for i in range(5)}


def test_no_artifacts_without_a_destination(executor: SandboxExecutor) -> None:
    result = run_code(executor, "open('a.csv', 'w').write('x')")
    assert result.ok and result.artifacts == []


def test_runs_at_the_same_time_do_not_mix(executor: SandboxExecutor) -> None:
    from concurrent.futures import ThreadPoolExecutor

    job = code("""
        import os, time
        open("mine-{n}", "w").close()
        time.sleep(0.3)
        print(sorted(f for f in os.listdir(".") if f.startswith("mine-")))
    """)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda n: run_code(executor, job.format(n=n)), [1, 2]))
    assert [r.stdout.strip() for r in results] == ["['mine-1']", "['mine-2']"]


def test_sandbox_package_imports_nothing_from_the_bot() -> None:
    root = Path(__file__).resolve().parents[2] / "sandbox"
    for module in root.glob("*.py"):
        text = module.read_text()
        assert "from bot" not in text and "import bot" not in text, module
        assert "from handlers" not in text and "import handlers" not in text, module


def test_memory_limit_mechanism_is_reported(
    executor: SandboxExecutor, rlimit_executor: SandboxExecutor
) -> None:
    assert memory_limit_mechanism() in {"cgroup v1", "cgroup v2", "rlimit"}
    assert executor.memory_limit_mechanism == memory_limit_mechanism()
    assert rlimit_executor.memory_limit_mechanism == "rlimit"
