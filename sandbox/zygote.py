"""The executor service: `python -I -m sandbox.zygote --control-fd N`.

Started by the host with an empty environment, it imports the analysis stack once
(pandas, NumPy, pyarrow, DuckDB, matplotlib with its font cache) and then forks one
process per job, which isolates itself (see jobproc.py) and runs the code: a job starts
in milliseconds instead of the second those imports take. It holds no tokens, settings
or database handles; all it ever receives is job requests on its control socket.

It is single-threaded on purpose: forking a process whose other threads may hold locks
leaves those locks held forever in the child. One loop waits on the control socket, on
each job's reply socket and on each job process's pidfd.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import selectors
import signal
import socket
import sys
from dataclasses import dataclass

from sandbox import jobproc, landlock, protocol, seccomp_filter

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


@dataclass
class _Job:
    pid: int
    pidfd: int
    reply: socket.socket
    exited: bool = False


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
    def __init__(self, control: socket.socket) -> None:
        self._control = control
        self._sel = selectors.DefaultSelector()
        self._sel.register(control, selectors.EVENT_READ, "control")
        self._jobs: dict[int, _Job] = {}  # by pid

    def serve(self) -> None:
        while True:
            for key, _ in self._sel.select():
                if key.data == "control":
                    if not self._accept():
                        self._shutdown()
                        return
                elif key.data[0] == "pidfd":
                    self._exited(self._jobs[key.data[1]])
                else:
                    self._from_host(self._jobs[key.data[1]])

    def _accept(self) -> bool:
        try:
            message, fds = protocol.receive(self._control, protocol.FDS_PER_JOB)
        except (OSError, ValueError):
            return False
        if message is None:
            for fd in fds:
                os.close(fd)
            return False  # the host went away: so do its jobs
        if len(fds) != protocol.FDS_PER_JOB:
            for fd in fds:
                os.close(fd)
            return True
        reply = socket.socket(fileno=fds[0])
        try:
            request = protocol.JobRequest.from_message(message)
            pid = os.fork()
        except Exception as exc:  # a bad request or no memory to fork: tell the host
            with contextlib.suppress(OSError):
                protocol.send(reply, {"error": f"{type(exc).__name__}: {exc}"})
            reply.close()
            for fd in fds[1:]:
                os.close(fd)
            return True
        if pid == 0:
            jobproc.run(request, stdout=fds[1], stderr=fds[2], events=fds[3])  # never returns
        for fd in fds[1:]:
            os.close(fd)  # the job holds the only write ends now
        pidfd = os.pidfd_open(pid)
        job = _Job(pid, pidfd, reply)
        self._jobs[pid] = job
        self._sel.register(pidfd, selectors.EVENT_READ, ("pidfd", pid))
        self._sel.register(reply, selectors.EVENT_READ, ("reply", pid))
        with contextlib.suppress(OSError):
            protocol.send(reply, {"pid": pid})
        return True

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
        for job in list(self._jobs.values()):
            self._finish(job, kill=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox.zygote")
    parser.add_argument("--control-fd", type=int, required=True)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    control = socket.socket(fileno=args.control_fd)
    missing = preload()
    protocol.send(control, {"ready": True, "missing": missing, "pid": os.getpid()})
    Zygote(control).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
