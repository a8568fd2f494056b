"""From how a run ended to its status and the sentence a user reads."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from typing import Literal

from sandbox.limits import MIB, Limits
from sandbox.result import RunStatus

StopReason = Literal["timeout", "output_limit", "spill_limit"]

_TRACEBACK = "Traceback (most recent call last):"
# The last line of a traceback printed without frames (a SyntaxError in the script).
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")
_MESSAGE_MAX = 500


@dataclass(frozen=True)
class Ending:
    exit_code: int  # negative: killed by that signal
    cpu_s: float  # user + system CPU of the process and the children it waited for
    stopped_for: StopReason | None  # the host killed it for this limit
    oom_killed: bool  # the memory cgroup's OOM killer fired during the run


def exception_line(stderr: str) -> str | None:
    """The last line of the last traceback in stderr: "KeyError: 'amount'"."""
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_TRACEBACK)]
    if starts:
        # Frames and source lines are indented; the exception line is the first that
        # is not. Python 3.11 may add notes below it: they are not part of the line.
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():
                return line.strip()[:_MESSAGE_MAX]
        return None
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line.strip()[:_MESSAGE_MAX]
    return None


def _is_memory_error(line: str | None, stderr: str) -> bool:
    if line is not None:
        kind = line.split(":", 1)[0]
        # MemoryError and its subclasses (NumPy's _ArrayMemoryError), and the engines'
        # own (DuckDB's OutOfMemoryException).
        if kind.endswith("MemoryError") or "OutOfMemory" in kind:
            return True
    # C++ code (Arrow, DuckDB) aborts on an allocation refused by RLIMIT_DATA.
    return "std::bad_alloc" in stderr[-4000:]


def _size_label(size: int) -> str:
    if size >= 1024 * MIB and size % (1024 * MIB) == 0:
        return f"{size // (1024 * MIB)} GB"
    if size >= MIB:
        return f"{size / MIB:g} MB"
    return f"{size / 1024:g} KB"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(end: Ending, stderr: str, limits: Limits) -> tuple[RunStatus, str]:
    """The status and a readable message for a finished run."""
    if end.stopped_for == "timeout":
        return "timeout", f"ran longer than the {limits.wall_time_s:g} s time limit and was stopped"
    if end.stopped_for == "output_limit":
        return (
            "output_limit",
            f"printed more than the {_size_label(limits.output_bytes)} output limit "
            "and was stopped",
        )
    if end.stopped_for == "spill_limit":
        return "error", (
            f"wrote more than the {_size_label(limits.spill_bytes)} (or "
            f"{limits.workdir_files} files) it may spill to disk and was stopped"
        )
    oom_message = f"ran out of memory at the {limits.memory_label()} limit"
    code = end.exit_code
    if end.oom_killed and code != 0:
        # The kernel's SIGKILL leaves no traceback; a program that survived losing a
        # child process to the limit and still succeeded is ok.
        return "out_of_memory", oom_message
    cpu_message = f"used more than the {limits.cpu_time_s} s CPU time limit and was stopped"
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and end.cpu_s >= limits.cpu_time_s):
        # SIGKILL with the CPU used up: the hard limit, for a program ignoring SIGXCPU.
        return "cpu_limit", cpu_message
    line = exception_line(stderr)
    if code != 0 and _is_memory_error(line, stderr):
        return "out_of_memory", oom_message
    if code == 0:
        return "ok", "finished"
    if code > 0:
        if line is not None and "[Errno 28]" in line:  # ENOSPC: the work dir is full
            return "error", (
                f"filled its work dir (limit {_size_label(limits.workdir_bytes)} or "
                f"{limits.workdir_files} files): {line}"
            )
        if line is not None:
            return "error", line
        return "error", f"exited with status {code}"
    if code == -signal.SIGXFSZ:
        return "error", (
            "was stopped for writing a file larger than the "
            f"{_size_label(limits.file_size_bytes)} file size limit"
        )
    return "killed", f"was killed by {_signal_name(-code)}"
