"""PID namespace supervision, inside the runner: an init process and the job under it.

The launcher unshares a PID and a mount namespace before exec, which puts the runner's
children (not the runner itself) in the new namespace. The runner forks an init (PID 1
there) that mounts a /proc of its own namespace, so no host process, the bot's
/proc/PID/environ included, can be seen; init forks the job as PID 2 and reaps every
orphan. The job is not PID 1 on purpose: the kernel drops default-action signals sent to
a namespace's init (SIGXCPU at the CPU soft limit among them), so limits would stop
working. When the job ends, init exits and the kernel kills whatever the job left in the
namespace. The runner then ends the way the job ended: same exit code, same signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import struct

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REC = 0x4000
MS_PRIVATE = 0x40000

_libc = ctypes.CDLL(None, use_errno=True)
_STATUS = struct.Struct("i")


def _mount(source: bytes | None, target: bytes, fstype: bytes | None, flags: int) -> None:
    if _libc.mount(source, target, fstype, flags, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target.decode()}: {os.strerror(errno)}")


def _mount_own_proc() -> None:
    # Private first, so the new /proc stays in this mount namespace and never
    # propagates back to the host's.
    _mount(None, b"/", None, MS_REC | MS_PRIVATE)
    _mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


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


def split() -> None:
    """Returns only in the job process (PID 2 of the new namespace)."""
    read_end, write_end = os.pipe()
    init_pid = os.fork()
    if init_pid == 0:
        os.close(read_end)
        try:
            _mount_own_proc()
            job_pid = os.fork()
        except BaseException as exc:  # report a setup failure as a failed job, not a hang
            os.write(2, f"sandbox: namespace setup failed: {exc}\n".encode())
            os._exit(70)
        if job_pid == 0:
            os.close(write_end)
            return
        _init(job_pid, write_end)
    os.close(write_end)
    data = b""
    while len(data) < _STATUS.size and (chunk := os.read(read_end, _STATUS.size - len(data))):
        data += chunk
    _, init_status = os.waitpid(init_pid, 0)
    _end_like(_STATUS.unpack(data)[0] if len(data) == _STATUS.size else init_status)
