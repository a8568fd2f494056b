"""The executor service: `python -I -m sandbox.zygote --control-fd N --config JSON`.

Started by the host with an empty environment, it imports the analysis stack once
(pandas, NumPy, pyarrow, DuckDB, matplotlib with its font list) and keeps warm workers:
processes forked in advance that already sit in their own cgroup, namespaces and
read-only root, each waiting for one job (see jobproc.py). A job then starts in
milliseconds instead of the second the imports take. The zygote holds no tokens,
settings or database handles; all it ever receives is job requests on its control
socket.

It is single-threaded on purpose: forking a process whose other threads may hold locks
leaves those locks held forever in the child. One loop waits on the control socket, the
workers' sockets, each job's reply socket and each job process's pidfd.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import os
import selectors
import signal
import socket
import sys
from dataclasses import dataclass

from sandbox import cgroups, jobproc, landlock, memory, protocol, seccomp_filter
from sandbox.limits import Limits
from sandbox.protocol import ZygoteConfig

# Imported once here so that jobs do not pay for them. Each is optional: a host without
# one still serves jobs that do not need it.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "duckdb",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.font_manager",
    "sandbox.runtime",
)
# After this many workers in a row fail to get ready, the zygote stops making new ones
# ahead of time and reports the failure to each job instead of looping.
_MAX_FAILED_WORKERS = 3


@dataclass
class _Worker:
    pid: int
    channel: socket.socket
    cgroup: cgroups.JobCgroup
    ready: bool = False


@dataclass
class _Job:
    pid: int
    pidfd: int
    reply: socket.socket
    cgroup: cgroups.JobCgroup
    exited: bool = False


@dataclass
class _Request:
    message: dict[str, object]
    fds: list[int]
    reply: socket.socket


def preload() -> list[str]:
    """Imports the stack; returns the modules that could not be imported."""
    missing = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    # Loading the font list now (from the prebuilt cache in MPLCONFIGDIR) means no job
    # reads or rebuilds it.
    font_manager = sys.modules.get("matplotlib.font_manager")
    if font_manager is not None:
        getattr(font_manager, "fontManager", None)
    # Probed here, once, while the zygote may still load libraries and run ldconfig:
    # a job asks the cached answers after it dropped to an unprivileged uid.
    seccomp_filter.available()
    landlock.abi_version()
    return missing


class Zygote:
    def __init__(self, control: socket.socket, config: ZygoteConfig) -> None:
        self._control = control
        self._config = config
        self._hierarchies = memory.usable_hierarchies() if config.use_cgroups else []
        self._sel = selectors.DefaultSelector()
        self._sel.register(control, selectors.EVENT_READ, ("control", 0))
        self._workers: dict[int, _Worker] = {}  # by pid
        self._jobs: dict[int, _Job] = {}  # by pid
        self._waiting: collections.deque[_Request] = collections.deque()
        self._failures = 0
        self._last_failure = ""

    def serve(self) -> None:
        self._top_up()
        while True:
            for key, _ in self._sel.select():
                kind, pid = key.data
                if kind == "control":
                    if not self._accept():
                        self._shutdown()
                        return
                elif kind == "worker":
                    self._from_worker(self._workers[pid])
                elif kind == "pidfd":
                    self._exited(self._jobs[pid])
                else:
                    self._from_host(self._jobs[pid])

    # Warm workers

    def _top_up(self) -> None:
        """Keeps `workers` workers forked (ready or getting ready)."""
        while len(self._workers) < self._config.workers and self._failures < _MAX_FAILED_WORKERS:
            self._fork_worker()

    def _fork_worker(self) -> None:
        cgroup = cgroups.create(Limits(), self._hierarchies)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            cgroup.remove()
            raise
        if pid == 0:
            ours.close()
            jobproc.serve_one_job(self._config, cgroup.join_files, theirs)  # never returns
        theirs.close()
        self._workers[pid] = _Worker(pid, ours, cgroup)
        self._sel.register(ours, selectors.EVENT_READ, ("worker", pid))

    def _from_worker(self, worker: _Worker) -> None:
        try:
            message, _ = protocol.receive(worker.channel)
        except (OSError, ValueError):
            message = None
        if message is not None and message.get("ready"):
            worker.ready = True
            self._failures = 0
            self._dispatch()
            return
        # It failed to get ready (or died): it never ran a job.
        self._last_failure = str((message or {}).get("error", "a sandbox worker died"))
        self._failures += 1
        self._discard(worker)
        if self._failures >= _MAX_FAILED_WORKERS:
            while self._waiting:
                self._refuse(self._waiting.popleft(), self._last_failure)
        self._top_up()

    def _discard(self, worker: _Worker) -> None:
        self._sel.unregister(worker.channel)
        worker.channel.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)
        worker.cgroup.remove()
        del self._workers[worker.pid]

    # Jobs

    def _accept(self) -> bool:
        try:
            message, fds = protocol.receive(self._control, protocol.MAX_FDS)
        except (OSError, ValueError):
            return False
        if message is None or not fds:
            for fd in fds:
                os.close(fd)
            return message is not None  # end of file: the host went away
        request = _Request(message, fds[1:], socket.socket(fileno=fds[0]))
        if self._failures >= _MAX_FAILED_WORKERS:
            self._failures = _MAX_FAILED_WORKERS - 1  # one more try per request
        self._waiting.append(request)
        self._dispatch()
        self._top_up()
        return True

    def _dispatch(self) -> None:
        while self._waiting:
            worker = next((w for w in self._workers.values() if w.ready), None)
            if worker is None:
                return
            self._start(worker, self._waiting.popleft())

    def _start(self, worker: _Worker, request: _Request) -> None:
        try:
            job_request = protocol.JobRequest.from_message(request.message)
            worker.cgroup.set_limits(
                Limits(
                    memory_bytes=job_request.memory_bytes,
                    max_processes=job_request.max_processes,
                )
            )
            protocol.send(worker.channel, request.message, request.fds)
        except Exception as exc:  # a bad request, or the worker just died
            self._refuse(request, f"{type(exc).__name__}: {exc}")
            self._discard(worker)
            self._top_up()
            return
        for fd in request.fds:
            os.close(fd)  # the job holds them now
        self._sel.unregister(worker.channel)
        worker.channel.close()
        del self._workers[worker.pid]
        job = _Job(worker.pid, os.pidfd_open(worker.pid), request.reply, worker.cgroup)
        self._jobs[job.pid] = job
        self._sel.register(job.pidfd, selectors.EVENT_READ, ("pidfd", job.pid))
        self._sel.register(job.reply, selectors.EVENT_READ, ("reply", job.pid))
        with contextlib.suppress(OSError):
            protocol.send(job.reply, {"pid": job.pid, "cgroup": job.cgroup.to_json()})
        self._top_up()

    def _refuse(self, request: _Request, reason: str) -> None:
        for fd in request.fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            protocol.send(request.reply, {"error": reason})
        request.reply.close()

    def _exited(self, job: _Job) -> None:
        # Not reaped yet: until the host asks, the pid and process group id stay taken.
        self._sel.unregister(job.pidfd)
        job.exited = True
        with contextlib.suppress(OSError):
            protocol.send(job.reply, {"exited": True})

    def _from_host(self, job: _Job) -> None:
        try:
            message, _ = protocol.receive(job.reply)
        except (OSError, ValueError):
            message = None
        if message is None:  # the host gave up on this job
            self._finish(job, kill=True)
        elif message.get("reap"):
            self._finish(job, kill=False)

    def _finish(self, job: _Job, kill: bool) -> None:
        if kill:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.pid, signal.SIGKILL)
        _, status, usage = os.wait4(job.pid, 0)
        with contextlib.suppress(OSError):
            protocol.send(
                job.reply,
                {
                    "status": status,
                    "cpu_s": usage.ru_utime + usage.ru_stime,
                    "max_rss": usage.ru_maxrss * 1024,
                },
            )
        if not job.exited:
            self._sel.unregister(job.pidfd)
        self._sel.unregister(job.reply)
        os.close(job.pidfd)
        job.reply.close()
        del self._jobs[job.pid]

    def _shutdown(self) -> None:
        for worker in list(self._workers.values()):
            self._discard(worker)
        for job in list(self._jobs.values()):
            self._finish(job, kill=True)
            job.cgroup.kill_all()
            job.cgroup.remove()  # the host that would have removed it is gone
        while self._waiting:
            self._refuse(self._waiting.popleft(), "the sandbox is shutting down")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox.zygote")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--config", required=True, help="a ZygoteConfig as JSON")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    control = socket.socket(fileno=args.control_fd)
    config = ZygoteConfig.from_json(args.config)
    missing = preload()
    protocol.send(control, {"ready": True, "missing": missing, "pid": os.getpid()})
    Zygote(control, config).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
