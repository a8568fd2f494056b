"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox.events import Event
from sandbox.executor import Job
from sandbox.limits import MIB, Limits
from sandbox.result import RunResult
from sandbox.subprocess_executor import SubprocessExecutor

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
    executor: SubprocessExecutor,
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


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def wait_gone(pid: int, timeout_s: float = 3.0) -> bool:
    """Whether `pid` stops running within the timeout (init reaps orphans lazily)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.05)
    return False


def is_root() -> bool:
    return os.geteuid() == 0
