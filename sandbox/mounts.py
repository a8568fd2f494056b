"""The mount system calls the sandbox needs, through ctypes (Python has no wrappers).

Everything here runs in a job's own mount namespace, or (`mount_tmpfs`, `detach`) on
the host for the per-run work dir; every failure raises OSError naming the target.
"""

from __future__ import annotations

import ctypes
import os
import platform

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2

# glibc has no pivot_root wrapper; the number differs between the x86 and the generic
# system-call tables.
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
# The new mount API (Linux 5.2) has one number on every architecture (424 and later are
# shared across tables).
_OPEN_TREE = 428
_MOVE_MOUNT = 429
OPEN_TREE_CLONE = 0x1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
AT_RECURSIVE = 0x8000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.syscall.restype = ctypes.c_long


def _fail(what: str, target: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{what} {target}: {os.strerror(errno)}")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    if (
        _libc.mount(
            source.encode() if source is not None else None,
            target.encode(),
            fstype.encode() if fstype is not None else None,
            flags,
            data.encode() if data is not None else None,
        )
        != 0
    ):
        raise _fail("mount", target)


def bind(source: str, target: str, *, read_only: bool, flags: int = MS_NOSUID | MS_NODEV) -> None:
    """Binds `source` (file or dir, with what is mounted beneath it) onto `target`."""
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only or flags:
        # Bind mounts take their flags only from a remount of the new mount.
        extra = MS_RDONLY if read_only else 0
        mount(None, target, None, MS_BIND | MS_REMOUNT | extra | flags)


def make_private(target: str = "/") -> None:
    """Stops mount events propagating between this namespace and the host's."""
    mount(None, target, None, MS_REC | MS_PRIVATE)


def mount_tmpfs(target: str, size_bytes: int, inodes: int, mode: int, uid: int, gid: int) -> None:
    """A tmpfs of at most `size_bytes` and `inodes` files, owned by uid:gid."""
    options = f"size={size_bytes},nr_inodes={inodes},mode={mode:o},uid={uid},gid={gid}"
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def remount_read_only(target: str) -> None:
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def detach(target: str) -> None:
    """Lazily unmounts `target` (it goes once nothing uses it)."""
    if _libc.umount2(target.encode(), MNT_DETACH) != 0:
        raise _fail("umount", target)


def pivot_root_here() -> None:
    """Makes the current directory the root and drops the old root entirely.

    pivot_root(".", ".") stacks the old root on top of the new one; detaching it then
    leaves only the new root, with nothing of the host reachable through "..".
    """
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    if _libc.syscall(number, b".", b".") != 0:
        raise _fail("pivot_root", os.getcwd())
    detach(".")
    os.chdir("/")


def clone_tree(path: str) -> int:
    """A detached copy of the mount at `path` and the mounts beneath it (the work dir's
    spill dir), as a descriptor another mount namespace can attach (a path would not do:
    mounts made after that namespace was created are not in it)."""
    fd = _libc.syscall(
        _OPEN_TREE,
        ctypes.c_int(_AT_FDCWD),
        path.encode(),
        ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
    )
    if fd < 0:
        raise _fail("open_tree", path)
    return int(fd)


def attach_tree(fd: int, target: str) -> None:
    """Mounts a tree from `clone_tree` on `target` in this mount namespace."""
    result = _libc.syscall(
        _MOVE_MOUNT,
        ctypes.c_int(fd),
        b"",
        ctypes.c_int(_AT_FDCWD),
        target.encode(),
        ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH),
    )
    if result != 0:
        raise _fail("move_mount", target)
