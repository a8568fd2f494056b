"""PID namespace supervision in a warm worker: an init process and the job under it.

The worker unshares a PID and a mount namespace, which puts its children (not
itself) in the new namespace. It forks an init (PID 1 there) that builds the job's root
(see jail.py) and mounts a /proc of its own namespace, so no host process, the bot's
/proc/PID/environ included, can be seen; init forks the job as PID 2 and reaps every
orphan. The job is not PID 1 on purpose: the kernel drops default-action signals sent to
a namespace's init (SIGXCPU at the CPU soft limit among them), so limits would stop
working. When the job ends, init exits and the kernel kills whatever the job left in the
namespace. The first process then ends the way the job ended: same exit code, same
signal, so the zygote reports it as if it were the job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
from collections.abc import Callable

from sandbox import mounts

_STATUS = struct.Struct("i")


def _mount_own_proc() -> None:
    # Private first, so the new /proc stays in this mount namespace and never
    # propagates back to the host's.
    mounts.make_private("/")
    mounts.mount("proc", "/proc", "proc", mounts.MS_NOSUID | mounts.MS_NODEV | mounts.MS_NOEXEC)


def _init(job_pid: int, report: int) -> None:
    """PID 1: reap everything until the job itself ends, then report its wait status."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)  # the job vanished without a status; cannot happen in practice
        if pid == job_pid:
            os.write(report, _STATUS.pack(status))
            os._exit(0)


def _end_like(status: int) -> None:
    """Ends this process the way the job ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP cannot be set
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)  # a signal whose default is to continue: exit as shells do
    os._exit(os.waitstatus_to_exitcode(status))


def split(
    prepare: Callable[[], None] | None = None, close_in_supervisors: tuple[int, ...] = ()
) -> None:
    """Returns only in the job process (PID 2 of the new namespace).

    `prepare` runs in init before the job is forked (it may build the job's root, and
    then the job mounts its own /proc once it has pivoted); without it, init mounts a
    /proc of the new namespace. A failure in init is raised there, for the caller to
    report as a failed setup. `close_in_supervisors` are descriptors only the job keeps.
    """
    read_end, write_end = os.pipe()
    init_pid = os.fork()
    if init_pid == 0:
        os.close(read_end)
        if prepare is not None:
            prepare()
        else:
            _mount_own_proc()
        job_pid = os.fork()
        if job_pid == 0:
            os.close(write_end)
            return
        for fd in close_in_supervisors:
            os.close(fd)
        _init(job_pid, write_end)
    os.close(write_end)
    for fd in close_in_supervisors:
        os.close(fd)
    data = b""
    while len(data) < _STATUS.size and (chunk := os.read(read_end, _STATUS.size - len(data))):
        data += chunk
    _, init_status = os.waitpid(init_pid, 0)
    _end_like(_STATUS.unpack(data)[0] if len(data) == _STATUS.size else init_status)
