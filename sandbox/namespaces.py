"""New network, IPC and UTS namespaces for each run, where the host allows them.

A fresh network namespace holds only a loopback interface that is down: the run cannot
reach any network, 127.0.0.1 and the host's listeners included. New PID and mount
namespaces let the runner's init (see supervisor.py) mount a /proc showing only the
run's own processes. A read-only root and user namespaces come with the hardening issue.
"""

from __future__ import annotations

import ctypes
import functools
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

ISOLATING = {
    "network": CLONE_NEWNET,
    "ipc": CLONE_NEWIPC,
    "uts": CLONE_NEWUTS,
    "pid": CLONE_NEWPID,
    "mount": CLONE_NEWNS,
}

# Resolved once in the host, so the child between fork and exec only makes the syscall.
_unshare = ctypes.CDLL(None, use_errno=True).unshare
_unshare.argtypes = [ctypes.c_int]


def enter(flags: int) -> None:
    """Moves the calling process into new namespaces; raises OSError when refused."""
    if flags and _unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare failed: {os.strerror(errno)}")


@functools.cache
def usable_flags() -> int:
    """The namespace flags this host lets the executor use (probed once, in a child)."""
    flags = 0
    for flag in ISOLATING.values():
        pid = os.fork()
        if pid == 0:  # the probe: try, and report by exit status only
            try:
                enter(flag)
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            flags |= flag
    # A PID namespace is only useful with a mount namespace to hold its own /proc;
    # mounting one in the host's mount namespace would replace the host's /proc.
    if not flags & CLONE_NEWNS:
        flags &= ~CLONE_NEWPID
    return flags


def describe(flags: int) -> dict[str, bool]:
    """Which namespaces the flags cover, by name (for `doctor` and logs)."""
    return {name: bool(flags & flag) for name, flag in ISOLATING.items()}
