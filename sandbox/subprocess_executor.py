"""`SubprocessExecutor`: each job in a fresh child process, within its limits.

This is the first layer of the sandbox: an empty environment, a private work dir, a
new session, rlimits, a memory and pids cgroup where the host allows, a wall-time
watchdog, an output cap and a careful artifact collector. Namespaces, seccomp, Landlock,
a uid drop and a warm zygote come on top of it (see ../shared/SANDBOX.md).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import tempfile
import time
import weakref
from pathlib import Path

from sandbox import artifacts, cgroups, fontcache, launch, memory, outcome, rlimits, workdir
from sandbox.events import Event
from sandbox.executor import EventSink, Job
from sandbox.limits import Limits
from sandbox.pump import OutputPump
from sandbox.result import RunResult

log = logging.getLogger(__name__)

# How often the watchdog looks at the clock when nothing else wakes it.
_TICK_S = 0.1
# After the program ends, how long its pipes may take to reach end of file. Anything
# still holding them by then escaped the process group without a cgroup to find it.
_DRAIN_S = 1.0


class SubprocessExecutor:
    """Runs each job as `python -I -m sandbox.runner main.py` in a fresh work dir.

    `work_root` holds the per-run work dirs and the shared matplotlib font cache; by
    default a private temp dir, removed with the executor. `use_cgroups=False` forces
    the rlimit fallback even where cgroups are writable (tests, or an operator's
    choice). `python` is the interpreter the child runs (it must import `sandbox`).
    `font_cache_root` is where the matplotlib font cache is built once (default
    `work_root/shared`); executors on one host may share it.
    """

    def __init__(
        self,
        work_root: Path | None = None,
        *,
        use_cgroups: bool = True,
        python: str = sys.executable,
        font_cache_root: Path | None = None,
    ) -> None:
        if work_root is None:
            work_root = Path(tempfile.mkdtemp(prefix="threadlab-sandbox-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, work_root, True)
        self.work_root = work_root
        self._font_cache_root = font_cache_root or work_root / "shared"
        self._python = python
        self._use_cgroups = use_cgroups

    @property
    def memory_limit_mechanism(self) -> str:
        """What limits a run's memory for this executor: "cgroup v1", "cgroup v2" or
        "rlimit"."""
        return memory.memory_limit_mechanism() if self._use_cgroups else "rlimit"

    def run(self, job: Job, on_event: EventSink | None = None) -> RunResult:
        """Runs the job to completion; calls `on_event` for each event as it happens."""
        font_cache = fontcache.ensure(self._font_cache_root, self._python)
        work = workdir.create(self.work_root / "runs", job.code, job.inputs, font_cache)
        found = memory.usable_hierarchies() if self._use_cgroups else []
        cgroup = cgroups.create(job.limits, found)
        try:
            return self._run_in(work, cgroup, job, on_event)
        finally:
            cgroup.remove()
            workdir.remove(work.path)

    def _run_in(
        self,
        work: workdir.WorkDir,
        cgroup: cgroups.JobCgroup,
        job: Job,
        on_event: EventSink | None,
    ) -> RunResult:
        limits = job.limits
        chosen = rlimits.rlimits_for(
            limits,
            memory_by_cgroup=cgroup.memory_dir is not None,
            processes_by_cgroup=cgroup.pids_dir is not None,
        )
        events: list[Event] = []

        def emit(event: Event) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        started = time.monotonic()
        child = launch.start(self._python, work, chosen, cgroup)
        assert child.proc.stdout is not None and child.proc.stderr is not None
        pump = OutputPump(
            child.proc.stdout.fileno(),
            child.proc.stderr.fileno(),
            child.events_fd,
            limits.output_bytes,
            emit,
        )
        reaped: tuple[int, float, int] | None = None
        try:
            if child.pidfd is not None:
                pump.wake_on(child.pidfd)
            stopped_for = self._watch(child, pump, limits, started)
            child.kill_everything()
            reaped = child.reap()
            duration = time.monotonic() - started
            # What the program wrote just before it ended is still in the pipes.
            pump.stop_waking()
            drain_until = time.monotonic() + _DRAIN_S
            while not pump.finished and time.monotonic() < drain_until:
                pump.poll(drain_until - time.monotonic())
            if not pump.finished:
                log.warning(
                    "a process of sandbox run %s left its process group and still holds "
                    "its output; without a cgroup it cannot be found and killed",
                    child.pid,
                )
        finally:
            if reaped is None:  # on_event raised, or the host is shutting down
                child.kill_everything()
                with contextlib.suppress(ChildProcessError):
                    child.reap()
            pump.close()
            child.close()
        exit_code, cpu_s, max_rss = reaped
        if stopped_for is None and pump.over_limit:
            # The flood arrived all at once as the program ended: the limit still holds.
            stopped_for = "output_limit"
        stderr = pump.text("stderr")
        ending = outcome.Ending(exit_code, cpu_s, stopped_for, cgroup.oom_killed())
        status, message = outcome.classify(ending, stderr, limits)
        collected = []
        if job.artifacts_dir is not None:
            exclude = {workdir.SCRIPT, *work.input_names, *workdir.SCRATCH}
            prefer = [e.data.get("path") for e in events if e.type in {"table", "image"}]
            collected = artifacts.collect(work.path, job.artifacts_dir, limits, exclude, prefer)
        return RunResult(
            status=status,
            message=message,
            exit_code=exit_code,
            duration_s=duration,
            peak_memory_bytes=cgroup.peak_memory() or max_rss,
            stdout=pump.text("stdout"),
            stderr=stderr,
            output_truncated=pump.over_limit,
            events=events,
            artifacts=collected,
        )

    @staticmethod
    def _watch(
        child: launch.Child, pump: OutputPump, limits: Limits, started: float
    ) -> outcome.StopReason | None:
        """Pumps output until the program exits or breaks a limit the host enforces."""
        deadline = started + limits.wall_time_s
        while True:
            if pump.over_limit:
                return "output_limit"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if child.exited():
                return None
            pump.poll(min(_TICK_S, deadline - now))
