"""`SandboxExecutor`: each job forked from a warm zygote into its own jail, within limits.

Per job, on the host: a work dir (a size- and inode-limited tmpfs where the host
allows), a memory and pids cgroup, pipes with an output cap, a wall-time watchdog and
a careful artifact collector. The zygote forks the job, which isolates itself
(jobproc.py): namespaces, a minimal read-only root, rlimits, Landlock, an unprivileged
uid, seccomp. See ../shared/SANDBOX.md for the threat model.

At most `workers` jobs run at once; more wait in a queue, in arrival order, and are
told their place with a "queued" event.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from sandbox import artifacts, fontcache, jail, memory, mounts, outcome, rlimits
from sandbox import workdir as workdirs
from sandbox.errors import SandboxRefused
from sandbox.events import Event
from sandbox.executor import EventSink, Job
from sandbox.isolation import Isolation, Layers, resolve
from sandbox.limits import Limits
from sandbox.protocol import JobRequest, ZygoteConfig
from sandbox.pump import OutputPump
from sandbox.result import RunResult
from sandbox.workdir import HOME_DIR, MPL_DIR, SCRIPT, TMP_DIR
from sandbox.zygote_client import RemoteChild, ZygoteProcess

log = logging.getLogger(__name__)

# How often the watchdog looks at the clock when nothing else wakes it.
_TICK_S = 0.1
_SPILL_CHECK_S = 0.5  # how often the spill dir's size is measured
# After the program ends, how long its pipes may take to reach end of file. Anything
# still holding them by then escaped the process group without a cgroup to find it.
_DRAIN_S = 1.0
# BLAS and OpenMP start one thread per core by default: with one job per core that
# oversubscribes the host, and each thread counts against the process limit.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def base_environment() -> dict[str, str]:
    """What every process of the sandbox starts with: nothing of the host's."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        # For Python processes a job starts; the job itself applies these.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(dict.fromkeys(_THREAD_VARS, "1"))
    return env


def zygote_environment(font_cache_root: Path, python: str) -> dict[str, str]:
    """The zygote's whole environment; it loads matplotlib's font list from a cache
    built once per host."""
    font_cache = fontcache.ensure(font_cache_root, python)
    env = base_environment()
    env.update(HOME=str(font_cache), MPLCONFIGDIR=str(font_cache))
    return env


def _quota(limits: Limits) -> workdirs.Quota:
    return workdirs.Quota(size_bytes=limits.workdir_bytes, inodes=limits.workdir_files)


class _Slots:
    """At most `n` jobs at once; the rest wait in arrival order."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: list[object] = []
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, on_event: EventSink | None) -> Iterator[None]:
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            told = -1
            while self._free == 0 or self._waiting[0] is not ticket:
                position = self._waiting.index(ticket) + 1
                if on_event is not None and position != told:
                    on_event(Event("queued", {"position": position}))
                    told = position
                self._cond.wait()
            self._waiting.pop(0)
            self._free -= 1
            self._cond.notify_all()  # the next in line may see a new position
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._waiting)

    @property
    def free(self) -> int:
        with self._cond:
            return self._free


class SandboxExecutor:
    """Runs jobs in the sandbox; one warm zygote serves `workers` concurrent jobs.

    `work_root` holds the per-run work dirs, the jail's mount point and the matplotlib
    font cache; by default a private temp dir, removed with the executor.
    `use_cgroups=False` forces the rlimit fallback even where cgroups are writable
    (tests, or an operator's choice). `python` is the interpreter of the zygote (it
    must import `sandbox`).
    """

    def __init__(
        self,
        work_root: Path | None = None,
        *,
        workers: int = 1,
        isolation: Isolation | None = None,
        use_cgroups: bool = True,
        python: str = sys.executable,
        font_cache_root: Path | None = None,
    ) -> None:
        if work_root is None:
            work_root = Path(tempfile.mkdtemp(prefix="threadlab-sandbox-"))
            weakref.finalize(self, shutil.rmtree, work_root, True)
        # Absolute: the zygote and the jail work in other directories than the caller.
        self.work_root = work_root = work_root.resolve()
        self._font_cache_root = (font_cache_root or work_root / "shared").resolve()
        self._use_cgroups = use_cgroups
        self._wanted = isolation or Isolation()
        self._workers = workers
        self._slots = _Slots(workers)
        self._layers: Layers | None = None
        environment = functools.partial(zygote_environment, self._font_cache_root, python)
        self._zygote = ZygoteProcess(python, environment, self._zygote_config, work_root)
        # Not a method of the executor: the finalizer must not keep the executor alive.
        weakref.finalize(self, self._zygote.stop)

    @property
    def layers(self) -> Layers:
        """The layers a job gets on this host (probed once)."""
        if self._layers is None:
            self._layers = resolve(self._wanted, str(self.work_root))
        return self._layers

    def _zygote_config(self) -> ZygoteConfig:
        layers = self.layers
        root = None
        if layers.jail:
            mount_point = self.work_root / "jail-root"
            mount_point.mkdir(mode=0o755, parents=True, exist_ok=True)
            read_only = (*jail.system_paths(), *jail.interpreter_paths())
            root = jail.RootSpec(str(mount_point), read_only).to_json()
        return ZygoteConfig(
            workers=self._workers,
            namespaces=layers.namespace_flags,
            root=root,
            use_cgroups=self._use_cgroups,
        )

    @property
    def memory_limit_mechanism(self) -> str:
        """ "cgroup v1", "cgroup v2" or "rlimit"."""
        return memory.memory_limit_mechanism() if self._use_cgroups else "rlimit"

    @property
    def queued(self) -> int:
        """Jobs waiting for a worker right now."""
        return self._slots.queued

    @property
    def running(self) -> int:
        """Jobs holding a worker right now."""
        return self._workers - self._slots.free

    @property
    def is_warm(self) -> bool:
        """The zygote is up and takes jobs without a start-up delay (readiness)."""
        return self._zygote.running

    def warm(self) -> float:
        """Starts the zygote now rather than on the first job; returns its start time."""
        return self._zygote.ensure_started().started_in_s

    def close(self) -> None:
        self._zygote.stop()

    def run(self, job: Job, on_event: EventSink | None = None) -> RunResult:
        """Runs the job to completion; calls `on_event` for each event as it happens."""
        layers = self.layers
        if not layers.hides_host_files and not self._wanted.allow_unisolated:
            raise SandboxRefused(
                "this host offers neither a mount namespace nor Landlock, so the sandbox "
                "cannot hide the bot's files from generated code; an operator can allow "
                "it anyway with THREADLAB_SANDBOX_ALLOW_UNISOLATED=true"
            )
        with self._slots.hold(on_event):
            owner = None
            if layers.uid is not None and layers.gid is not None:
                owner = (layers.uid, layers.gid)
            work = workdirs.create(
                self.work_root / "runs",
                job.code,
                job.inputs,
                quota=_quota(job.limits) if layers.workdir_tmpfs else None,
                owner=owner,
                bind_inputs=layers.jail,
            )
            try:
                return self._run_in(work, job, on_event)
            finally:
                workdirs.discard(work)

    def _request(self, work: workdirs.WorkDir, limits: Limits) -> JobRequest:
        layers = self.layers
        cwd = jail.WORK if layers.jail else str(work.path)
        env = base_environment()
        env.update(
            HOME=f"{cwd}/{HOME_DIR}",
            TMPDIR=f"{cwd}/{TMP_DIR}",
            MPLCONFIGDIR=f"{cwd}/{MPL_DIR}",
        )
        if layers.jail:
            read_only, read_write = ["/"], [jail.WORK, "/dev/null"]
        else:
            read_only = [*jail.system_paths(), *jail.interpreter_paths()]
            read_write = [str(work.path), "/dev/null"]
        cgroup_memory = self.memory_limit_mechanism != "rlimit"
        cgroup_pids = self._use_cgroups and memory.process_limit_mechanism() == "cgroup"
        return JobRequest(
            script=SCRIPT,
            cwd=cwd,
            env=env,
            rlimits=rlimits.rlimits_for(
                limits, memory_by_cgroup=cgroup_memory, processes_by_cgroup=cgroup_pids
            ),
            memory_bytes=limits.memory_bytes,
            max_processes=limits.max_processes,
            inputs={name: str(src) for name, src in work.bound_inputs.items()},
            uid=layers.uid,
            gid=layers.gid,
            landlock=layers.landlock,
            landlock_read_only=read_only,
            landlock_read_write=read_write,
            seccomp=layers.seccomp,
            workdir_bytes=limits.workdir_bytes,
            workdir_in_memory=work.mounted,
            spill_bytes=limits.spill_bytes if work.spill is not None else None,
        )

    def _run_in(self, work: workdirs.WorkDir, job: Job, on_event: EventSink | None) -> RunResult:
        request = self._request(work, job.limits)
        pipes = [os.pipe2(os.O_CLOEXEC) for _ in range(3)]
        started = time.monotonic()
        # The jail's namespace was made before this work dir was mounted: it gets the
        # mount itself, as a descriptor.
        tree = mounts.clone_tree(str(work.path)) if self.layers.jail else None
        try:
            child = self._zygote.start_job(request, pipes[0][1], pipes[1][1], pipes[2][1], tree)
        except BaseException:
            for read_end, _ in pipes:
                os.close(read_end)
            raise
        finally:
            for _, write_end in pipes:
                os.close(write_end)  # the job holds the only write ends now
            if tree is not None:
                os.close(tree)
        try:
            return self._follow(child, work, job, pipes, started, on_event)
        finally:
            child.cgroup.remove()

    def _follow(
        self,
        child: RemoteChild,
        work: workdirs.WorkDir,
        job: Job,
        pipes: list[tuple[int, int]],
        started: float,
        on_event: EventSink | None,
    ) -> RunResult:
        """Pumps the job's output until it ends, then collects what it left."""
        limits = job.limits
        events: list[Event] = []

        def emit(event: Event) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        pump = OutputPump(pipes[0][0], pipes[1][0], pipes[2][0], limits.output_bytes, emit)
        reaped: tuple[int, float, int] | None = None
        try:
            pump.wake_on(child.wake_fd)
            stopped_for = self._watch(child, pump, limits, started, work.spill)
            # A run that filled .spill between two checks and then ended is still over.
            spill = work.spill
            if (
                stopped_for is None
                and spill is not None
                and workdirs.over(spill, limits.spill_bytes, limits.workdir_files)
            ):
                stopped_for = "spill_limit"
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
            pump.close()
            for read_end, _ in pipes:
                with contextlib.suppress(OSError):
                    os.close(read_end)
            child.close()
        exit_code, cpu_s, max_rss = reaped
        if stopped_for is None and pump.over_limit:
            # The flood arrived all at once as the program ended: the limit still holds.
            stopped_for = "output_limit"
        stderr = pump.text("stderr")
        ending = outcome.Ending(exit_code, cpu_s, stopped_for, child.cgroup.oom_killed())
        status, message = outcome.classify(ending, stderr, limits)
        collected = []
        if job.artifacts_dir is not None:
            exclude = {SCRIPT, *work.input_names, *workdirs.SCRATCH}
            prefer = [e.data.get("path") for e in events if e.type in {"table", "image"}]
            collected = artifacts.collect(work.path, job.artifacts_dir, limits, exclude, prefer)
        return RunResult(
            status=status,
            message=message,
            exit_code=exit_code,
            duration_s=duration,
            peak_memory_bytes=child.cgroup.peak_memory() or max_rss,
            stdout=pump.text("stdout"),
            stderr=stderr,
            output_truncated=pump.over_limit,
            events=events,
            artifacts=collected,
        )

    @staticmethod
    def _watch(
        child: RemoteChild, pump: OutputPump, limits: Limits, started: float, spill: Path | None
    ) -> outcome.StopReason | None:
        """Pumps output until the program exits or breaks a limit the host enforces."""
        deadline = started + limits.wall_time_s
        next_spill_check = started
        while True:
            if pump.over_limit:
                return "output_limit"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if spill is not None and now >= next_spill_check:
                # No filesystem quota holds the disk behind .spill: the host measures it.
                next_spill_check = now + _SPILL_CHECK_S
                if workdirs.over(spill, limits.spill_bytes, limits.workdir_files):
                    return "spill_limit"
            if child.exited():
                return None
            pump.poll(min(_TICK_S, deadline - now))
