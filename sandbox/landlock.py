"""Landlock rules for a job process: a second, path-based wall inside the mount jail.

The mount namespace decides what a job can *see*: a minimal read-only root with the work
dir as the one writable place. Landlock decides what the process may *do* with what it
sees, checked by the kernel on every open, create, rename or link, whatever the mounts
look like. It is defence in depth:

- if the jail's view leaks a path (a bind mount left writable, a mount a later change
  adds, a descriptor path reached through `/proc`), writes are still allowed only
  beneath the work dir and reads only beneath the paths named here;
- symlinks and hard links cannot carry the job out: a symlink is checked at the path it
  resolves to, and linking or moving a file into the work dir from elsewhere is refused;
- from ABI 4 TCP bind and connect are denied, a second lock after the network namespace;
- from ABI 6 the process cannot connect to abstract unix sockets or send signals to
  processes outside its own Landlock domain (the bot, the zygote, the host).

Landlock does not cover everything: metadata changes (chmod, chown, utimes, xattrs),
stat and reading through descriptors opened *before* `restrict` are not checked here
(access rights are decided when a file is opened). The jail's read-only mounts, the uid
drop and closing inherited descriptors cover those.

ABI history, as it matters here (the kernel reports its ABI version; each ABI only
adds to the one before, so a ruleset is built from what the running kernel knows):

- ABI 1 (Linux 5.13): filesystem access bits 0-12. Moving or linking a file into another
  directory is always refused (EXDEV), even within the work dir.
- ABI 2 (5.19): REFER, which makes such moves possible where both sides grant it.
- ABI 3 (6.2): TRUNCATE; before it truncate() was not restricted at all.
- ABI 4 (6.7): TCP bind/connect (`handled_access_net`; the attr struct grows to 16 bytes).
- ABI 5 (6.10): IOCTL_DEV, ioctl on device files.
- ABI 6 (6.12): `scoped` (abstract unix sockets, signals; the attr struct is 24 bytes).
- ABI 7 (6.15): audit logging flags for restrict_self; no new access rights.

A ruleset restricts the calling thread and everything it starts afterwards, and cannot
be lifted: call `restrict` in the job process while it has a single thread.
"""

from __future__ import annotations

import ctypes
import functools
import os
import stat
from collections.abc import Sequence

# Landlock arrived after Linux unified new system-call numbers across architectures
# (from 424, pidfd_send_signal, onward every table uses the same number; only alpha adds
# an offset of 110, and it is not a target). So x86_64, i386, arm, aarch64, riscv64 and
# every other architecture on the generic table share these three numbers.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446

_LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
_LANDLOCK_RULE_PATH_BENEATH = 1

_PR_SET_NO_NEW_PRIVS = 38

# Filesystem access rights (include/uapi/linux/landlock.h).
ACCESS_FS_EXECUTE = 1 << 0
ACCESS_FS_WRITE_FILE = 1 << 1
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
ACCESS_FS_REMOVE_DIR = 1 << 4
ACCESS_FS_REMOVE_FILE = 1 << 5
ACCESS_FS_MAKE_CHAR = 1 << 6
ACCESS_FS_MAKE_DIR = 1 << 7
ACCESS_FS_MAKE_REG = 1 << 8
ACCESS_FS_MAKE_SOCK = 1 << 9
ACCESS_FS_MAKE_FIFO = 1 << 10
ACCESS_FS_MAKE_BLOCK = 1 << 11
ACCESS_FS_MAKE_SYM = 1 << 12
ACCESS_FS_REFER = 1 << 13  # ABI 2
ACCESS_FS_TRUNCATE = 1 << 14  # ABI 3
ACCESS_FS_IOCTL_DEV = 1 << 15  # ABI 5

ACCESS_NET_BIND_TCP = 1 << 0  # ABI 4
ACCESS_NET_CONNECT_TCP = 1 << 1  # ABI 4

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

_ACCESS_FS_ABI1 = (1 << 13) - 1  # bits 0-12

# The rights that make sense on a file rather than a directory; the kernel refuses a
# rule on a file that grants anything else (EINVAL).
_ACCESS_FILE = (
    ACCESS_FS_EXECUTE
    | ACCESS_FS_WRITE_FILE
    | ACCESS_FS_READ_FILE
    | ACCESS_FS_TRUNCATE
    | ACCESS_FS_IOCTL_DEV
)

# Paths as the caller holds them: Path objects, or the strings a job request carries.
StrPath = str | os.PathLike[str]

_READ_ONLY_ACCESS = ACCESS_FS_EXECUTE | ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR


class LandlockUnavailable(RuntimeError):
    """The kernel has no Landlock (not built in, disabled at boot, or blocked)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    # Packed in the UAPI header: 12 bytes, and the kernel copies exactly that many.
    _pack_ = 1
    _fields_ = (
        ("allowed_access", ctypes.c_uint64),
        ("parent_fd", ctypes.c_int32),
    )


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int


def _syscall(number: int, *args: int) -> int:
    """syscall(2) is variadic: every argument is passed as a full `long` so that no
    register carries stale upper bits (pointers are passed as their address)."""
    result = _libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) for a in args))
    return int(result)


def _fail(what: str) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"landlock: {what} failed: {os.strerror(code)}")


@functools.cache
def abi_version() -> int:
    """The Landlock ABI the running kernel supports; 0 where there is none."""
    version = _syscall(_SYS_LANDLOCK_CREATE_RULESET, 0, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    # ENOSYS (not built in), EOPNOTSUPP (disabled at boot) and anything else (a seccomp
    # filter answering EPERM, say) all mean the same here: no Landlock to rely on.
    return max(version, 0)


def _handled_fs(abi: int) -> int:
    handled = _ACCESS_FS_ABI1
    if abi >= 2:
        handled |= ACCESS_FS_REFER
    if abi >= 3:
        handled |= ACCESS_FS_TRUNCATE
    if abi >= 5:
        handled |= ACCESS_FS_IOCTL_DEV
    return handled


def _attr_size(abi: int) -> int:
    """The struct cut to the fields the running ABI defines. A kernel given a larger
    struct than it knows refuses it (E2BIG) unless the extra bytes are zero; passing
    only what it understands keeps the call within its documented contract."""
    if abi >= 6:
        return 24
    if abi >= 4:
        return 16
    return 8


def _open_path(path: StrPath) -> int | None:
    """An O_PATH descriptor for `path`, or None where it does not exist."""
    try:
        # O_PATH: the rule needs a handle on the inode, not the right to read it.
        return os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _add_rules(ruleset_fd: int, paths: Sequence[StrPath], access: int) -> None:
    for path in paths:
        fd = _open_path(path)
        if fd is None:
            continue
        try:
            allowed = access
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                allowed &= _ACCESS_FILE
            if not allowed:
                continue  # nothing that applies to a file; an empty rule is an error
            rule = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
            if (
                _syscall(
                    _SYS_LANDLOCK_ADD_RULE,
                    ruleset_fd,
                    _LANDLOCK_RULE_PATH_BENEATH,
                    ctypes.addressof(rule),
                    0,
                )
                != 0
            ):
                raise _fail(f"landlock_add_rule for {os.fspath(path)}")
        finally:
            os.close(fd)


def restrict(read_only: Sequence[StrPath], read_write: Sequence[StrPath]) -> int:
    """Confines this thread (and what it starts) to reading and executing beneath
    `read_only` and doing anything beneath `read_write`; everything else on the
    filesystem is refused. Also denies TCP bind/connect (ABI >= 4) and scopes abstract
    unix sockets and signals to the process's own domain (ABI >= 6). Paths that do not
    exist are skipped. Returns the ABI used.

    Raises LandlockUnavailable where the kernel has no Landlock, OSError where a step
    fails. Irreversible."""
    abi = abi_version()
    if abi == 0:
        raise LandlockUnavailable("Landlock is not supported or not enabled in this kernel")

    handled_fs = _handled_fs(abi)
    attr = _RulesetAttr(
        handled_access_fs=handled_fs,
        # Handled with no rule allowing them: every TCP bind and connect is refused.
        handled_access_net=(ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP) if abi >= 4 else 0,
        scoped=(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0,
    )

    # restrict_self refuses callers without CAP_SYS_ADMIN unless no_new_privs is set;
    # the job wants it in any case, so no setuid binary can regain privileges.
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, *(ctypes.c_ulong(a) for a in (1, 0, 0, 0))) != 0:
        raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")

    ruleset_fd = _syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.addressof(attr), _attr_size(abi), 0)
    if ruleset_fd < 0:
        raise _fail(f"landlock_create_ruleset (ABI {abi})")
    try:
        _add_rules(ruleset_fd, read_only, _READ_ONLY_ACCESS)
        _add_rules(ruleset_fd, read_write, handled_fs)
        if _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset_fd, 0) != 0:
            raise _fail("landlock_restrict_self")
    finally:
        os.close(ruleset_fd)
    return abi
