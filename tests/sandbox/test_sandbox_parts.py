"""The executor's parts on their own: output pump, outcome, artifact collector, limits."""

from __future__ import annotations

import os
import resource
import signal
import threading
from pathlib import Path

import pytest

from sandbox import artifacts, pump, rlimits
from sandbox.events import Event
from sandbox.limits import MIB, Limits
from sandbox.outcome import Ending, classify, exception_line


class _Pipes:
    """Three real pipes standing in for a child's stdout, stderr and event pipe."""

    def __init__(self, cap: int) -> None:
        self.seen: list[Event] = []
        self.out = os.pipe()
        self.err = os.pipe()
        self.ev = os.pipe()
        self.pump = pump.OutputPump(self.out[0], self.err[0], self.ev[0], cap, self.seen.append)

    def finish(self) -> None:
        for _, w in (self.out, self.err, self.ev):
            os.close(w)
        while not self.pump.finished:
            self.pump.poll(1.0)
        self.pump.close()
        for r, _ in (self.out, self.err, self.ev):
            os.close(r)


def test_pump_splits_lines_across_reads() -> None:
    p = _Pipes(cap=1000)
    os.write(p.out[1], b"one\ntw")
    p.pump.poll(1.0)
    os.write(p.out[1], "o\nthré".encode())
    p.pump.poll(1.0)
    os.write(p.err[1], b"oops\n")
    p.finish()
    lines = {
        name: [e.data["text"] for e in p.seen if e.data["stream"] == name]
        for name in ("stdout", "stderr")
    }
    # the unfinished last line is sent at end of file
    assert lines == {"stdout": ["one", "two", "thré"], "stderr": ["oops"]}
    assert p.pump.text("stdout") == "one\ntwo\nthré"
    assert not p.pump.over_limit


def test_pump_caps_stdout_and_stderr_together() -> None:
    p = _Pipes(cap=10)
    os.write(p.out[1], b"123456\n")
    p.pump.poll(1.0)
    os.write(p.err[1], b"abcdef\n")
    p.finish()
    assert p.pump.over_limit
    assert p.pump.text("stdout") + p.pump.text("stderr") == "123456\nabc"


def test_pump_sends_a_long_line_in_pieces_without_splitting_characters() -> None:
    p = _Pipes(cap=10 * MIB)
    text = "é" * 20_000  # two bytes each
    with os.fdopen(os.dup(p.out[1]), "wb") as w:
        w.write(text.encode())
    p.pump.poll(1.0)
    p.finish()
    pieces = [e.data["text"] for e in p.seen]
    assert len(pieces) > 1 and "".join(pieces) == text
    assert all(len(piece.encode()) <= pump.LOG_LINE_MAX for piece in pieces)


def test_pump_parses_events_and_skips_bad_lines() -> None:
    p = _Pipes(cap=1000)
    os.write(p.ev[1], b'{"type": "answer", "text": "a"}\nnope\n{"type": "ste')
    p.pump.poll(1.0)
    os.write(p.ev[1], b'p_started", "index": 1, "title": "t"}\n\xff\xfe\n{"type": "answer"')
    p.finish()  # the last line has no newline: incomplete, dropped
    assert p.seen == [
        Event("answer", {"text": "a"}),
        Event("step_started", {"index": 1, "title": "t"}),
    ]


@pytest.mark.parametrize(
    "line",
    [b"", b"{}", b"[]", b'{"type": 3}', b'{"type": ["x"]}', b'{"type": "nope"}',
     b'{"type": "log", "stream": "stdout", "text": "x"}', b"[" * 50_000, b"\xc3"],
)  # fmt: skip
def test_malformed_event_line_is_ignored(line: bytes) -> None:
    assert pump.parse_event_line(line) is None


def test_oversized_event_line_is_dropped_but_the_next_one_kept() -> None:
    p = _Pipes(cap=1000)
    big = b'{"type": "answer", "text": "' + b"x" * (pump.EVENT_LINE_MAX + 10) + b'"}\n'
    small = b'{"type": "answer", "text": "small"}\n'
    # More than a pipe holds: written from a thread while the pump reads.
    writer = threading.Thread(target=_write_all, args=(p.ev[1], big + small))
    writer.start()
    while writer.is_alive():
        p.pump.poll(0.01)
    p.finish()
    assert p.seen == [Event("answer", {"text": "small"})]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


LIMITS = Limits(wall_time_s=5, cpu_time_s=2, memory_bytes=512 * MIB, output_bytes=MIB)
TRACEBACK = """Traceback (most recent call last):
  File "main.py", line 3, in <module>
    total = df["amount"].sum()
            ~~^^^^^^^^^^
KeyError: 'amount'
"""


def _end(code: int, cpu: float = 0.1, stopped: str | None = None, oom: bool = False) -> Ending:
    return Ending(code, cpu, stopped, oom)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("end", "stderr", "status", "message"),
    [
        (_end(0), "", "ok", "finished"),
        (_end(1), TRACEBACK, "error", "KeyError: 'amount'"),
        (_end(2), "", "error", "exited with status 2"),
        (_end(-9, stopped="timeout"), "", "timeout",
         "ran longer than the 5 s time limit and was stopped"),
        (_end(-9, stopped="output_limit"), "", "output_limit",
         "printed more than the 1 MB output limit and was stopped"),
        (_end(-9, oom=True), "", "out_of_memory", "ran out of memory at the 512 MB limit"),
        (_end(1, oom=True), TRACEBACK, "out_of_memory", "ran out of memory at the 512 MB limit"),
        (_end(0, oom=True), "", "ok", "finished"),
        (_end(1), "Traceback (most recent call last):\nMemoryError\n", "out_of_memory",
         "ran out of memory at the 512 MB limit"),
        (_end(1), "Traceback (most recent call last):\n  File \"x\"\n"
         "numpy._core._exceptions._ArrayMemoryError: Unable to allocate 954. MiB\n",
         "out_of_memory", "ran out of memory at the 512 MB limit"),
        (_end(-6), "terminate called after throwing an instance of 'std::bad_alloc'\n",
         "out_of_memory", "ran out of memory at the 512 MB limit"),
        (_end(-int(signal.SIGXCPU)), "", "cpu_limit",
         "used more than the 2 s CPU time limit and was stopped"),
        (_end(-9, cpu=5.0), "", "cpu_limit",
         "used more than the 2 s CPU time limit and was stopped"),
        (_end(-9), "", "killed", "was killed by SIGKILL"),
        (_end(-11), "", "killed", "was killed by SIGSEGV"),
    ],
)  # fmt: skip
def test_classify(end: Ending, stderr: str, status: str, message: str) -> None:
    assert classify(end, stderr, LIMITS) == (status, message)


def test_exception_line_of_chained_and_frameless_tracebacks() -> None:
    chained = TRACEBACK + (
        "\nDuring handling of the above exception, another exception occurred:\n\n"
        + TRACEBACK.replace("KeyError: 'amount'", "ValueError: no amount column\nmore detail")
    )
    assert exception_line(chained) == "ValueError: no amount column"
    frameless = (
        "  File \"main.py\", line 1\n    print((1\n         ^\nSyntaxError: '(' was never closed\n"
    )
    assert exception_line(frameless) == "SyntaxError: '(' was never closed"
    assert exception_line("just some stderr chatter\n") is None


def _write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_collect_keeps_only_single_link_regular_files_of_allowed_types(tmp_path: Path) -> None:
    root, dest, outside = tmp_path / "work", tmp_path / "dest", tmp_path / "outside"
    _write(root / "main.py")
    _write(root / "data.csv")  # an input
    _write(root / "chart.png", b"png")
    _write(root / "tables" / "t.csv", b"a,b\n")
    _write(root / "deep" / "er" / "notes.md", b"# hi")
    _write(root / "report.PDF", b"%PDF")
    _write(root / "script.sh")
    _write(root / ".home" / "cache.json")
    _write(outside / "secret.txt", b"secret")
    _write(outside / "dir" / "inner.csv", b"secret")
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside / "dir", root / "linkdir")
    os.link(outside / "secret.txt", root / "hard.txt")
    os.mkfifo(root / "pipe.csv")
    limits = Limits(max_artifacts=10, artifact_bytes=100)
    got = artifacts.collect(root, dest, limits, {"main.py", "data.csv", ".home"})
    assert [(a.name, a.kind, a.size) for a in got] == [
        ("chart.png", "image", 3),
        ("report.PDF", "file", 4),
        ("tables/t.csv", "table", 4),
        ("deep/er/notes.md", "file", 4),
    ]
    assert (dest / "deep" / "er" / "notes.md").read_bytes() == b"# hi"
    assert not (dest / "link.txt").exists() and not (dest / "linkdir").exists()


def test_collect_prefers_files_named_by_events(tmp_path: Path) -> None:
    root = tmp_path / "work"
    for name in ("a.txt", "b.txt", "c.txt", "z.png"):
        _write(root / name)
    limits = Limits(max_artifacts=2)
    got = artifacts.collect(root, tmp_path / "d", limits, set(), ["z.png", "../x", 5, "nope"])
    assert [a.name for a in got] == ["z.png", "a.txt"]


def test_collect_skips_files_over_the_size_cap(tmp_path: Path) -> None:
    root = tmp_path / "work"
    _write(root / "small.csv", b"1" * 10)
    _write(root / "big.csv", b"1" * 11)
    got = artifacts.collect(root, tmp_path / "d", Limits(artifact_bytes=10), set())
    assert [a.name for a in got] == ["small.csv"]


def test_rlimits_leave_memory_and_processes_to_cgroups_when_there_are_some() -> None:
    limits = Limits(cpu_time_s=7, memory_bytes=300 * MIB, max_processes=9)
    with_cgroups = {r: (s, h) for r, s, h in rlimits.rlimits_for(limits, True, True)}
    assert with_cgroups[resource.RLIMIT_CPU] == (7, 7 + rlimits.CPU_GRACE_S)
    assert with_cgroups[resource.RLIMIT_CORE] == (0, 0)
    assert resource.RLIMIT_DATA not in with_cgroups
    assert resource.RLIMIT_NPROC not in with_cgroups
    fallback = {r: (s, h) for r, s, h in rlimits.rlimits_for(limits, False, False)}
    assert fallback[resource.RLIMIT_DATA] == (300 * MIB, 300 * MIB)
    assert fallback[resource.RLIMIT_NPROC] == (9, 9)
    assert resource.RLIMIT_AS not in fallback  # breaks Arrow: see sandbox/memory.py
