"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import dataclasses
import os
import textwrap
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox.events import Event
from sandbox.executor import Job
from sandbox.limits import MIB, Limits
from sandbox.result import RunResult
from sandbox.sandbox_executor import SandboxExecutor

# Small limits keep each test fast; a test that checks one limit lowers that one.
SMALL = Limits(
    wall_time_s=20,
    cpu_time_s=20,
    memory_bytes=1024 * MIB,
    max_processes=32,
    file_size_bytes=16 * MIB,
    open_files=64,
    output_bytes=256 * 1024,
    max_artifacts=10,
    artifact_bytes=4 * MIB,
)


def run_code(
    executor: SandboxExecutor,
    code: str,
    *,
    inputs: Mapping[str, Path] | None = None,
    artifacts_dir: Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    **limits: Any,
) -> RunResult:
    """Runs `code` with SMALL limits, except those given by keyword."""
    job = Job(
        code=code,
        inputs=inputs or {},
        artifacts_dir=artifacts_dir,
        limits=dataclasses.replace(SMALL, **limits),
    )
    return executor.run(job, on_event)


def is_root() -> bool:
    return os.geteuid() == 0


def sleeper_marker() -> str:
    """A unique `sleep` argument: a process running `sleep MARKER` can be found on the host
    by its command line, whatever its PID inside the run's namespace."""
    return f"59.{uuid.uuid4().int % 10**9:09d}"


def sleeper_running(marker: str) -> bool:
    """Whether a process on this host runs `sleep MARKER`."""
    wanted = b"sleep\x00" + marker.encode() + b"\x00"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes() == wanted:
                    return True
            except OSError:
                continue  # it ended while we looked
    return False


def wait_sleeper_gone(marker: str, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not sleeper_running(marker):
            return True
        time.sleep(0.05)
    return False


def start_sleeper_code(marker: str) -> str:
    """Job code for a process that outlives its parent: `sleep MARKER` with SIGTERM
    ignored; returns once the sleeper is visible, so a later 'gone' means killed."""
    return textwrap.dedent(f"""
        import os, signal, time
        def start_sleeper():
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)  # survives exec
                os.execv("/bin/sleep", ["sleep", "{marker}"])
            deadline = time.monotonic() + 10
            wanted = b"sleep\\x00{marker}\\x00"
            while time.monotonic() < deadline:
                for p in os.listdir("/proc"):
                    try:
                        if p.isdigit() and open(f"/proc/{{p}}/cmdline", "rb").read() == wanted:
                            print("sleeper running", flush=True)
                            return
                    except OSError:
                        pass
                time.sleep(0.02)
    """)
