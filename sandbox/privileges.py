"""Dropping root for the job: an unprivileged uid, no supplementary groups."""

from __future__ import annotations

import os
import stat

# nobody:nogroup on Debian; any uid without a home or files of its own will do.
DEFAULT_UID = 65534
DEFAULT_GID = 65534


def can_drop() -> bool:
    """Only root can change to another uid; an unprivileged bot already is one."""
    return os.geteuid() == 0


def reachable_by_others(path: str) -> bool:
    """Whether a process of another uid can reach `path`: every dir on the way must be
    searchable by others (a mode-700 /root holding the interpreter is not)."""
    current = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        if os.path.isdir(current) and not mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return True
        current = parent


def drop(uid: int, gid: int) -> None:
    """Irreversibly becomes uid:gid with no supplementary groups (real, effective and
    saved ids, so nothing can switch back)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getgroups():
        raise OSError(0, "dropping privileges did not take effect")
