"""A minimal read-only root for a job, built in its own mount namespace.

The job sees only: the system's program and library dirs, the interpreter and its
packages, a few files of /etc, a handful of /dev nodes, its own /proc, and its work dir
at /job (the only writable place; the inputs in it are read-only binds of the host's
copies). The bot's code, settings, database, token map and every other thread's data
are simply not in this tree. Paths keep their host names, so the interpreter finds its
modules where it imported the first ones from; directories between them are fresh
ones, so a mode-700 home holding the interpreter (such as /root/.pyenv) stays readable
after the job drops to an unprivileged uid.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sandbox import mounts

# Not /work: hosts (this one included) keep checkouts and venvs there, and the work
# dir must not hide the interpreter.
WORK = "/job"

# Program and library dirs; on merged-/usr systems the top-level ones are symlinks and
# are recreated as such.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What programs and libraries read from /etc: the dynamic loader's cache, time zones,
# fonts, MIME types. Nothing else of /etc (host names, users, keys) is shown.
_ETC_ENTRIES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/fonts",
    "/etc/mime.types",
)
_DEVICES = ("null", "zero", "full", "random", "urandom")
_DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}


@dataclass(frozen=True)
class RootSpec:
    """The part of a job's root that is the same for every job; plain data, so it
    travels to the zygote as JSON."""

    mount_point: str  # an empty host dir the new root is mounted on
    read_only: tuple[str, ...]  # host paths shown read-only at the same path

    def to_json(self) -> dict[str, object]:
        return {"mount_point": self.mount_point, "read_only": list(self.read_only)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RootSpec:
        read_only = data["read_only"]
        assert isinstance(read_only, list)
        return cls(str(data["mount_point"]), tuple(str(p) for p in read_only))


def interpreter_paths(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The interpreter's own dirs and the packages it imports, outermost only.

    sys.path may name a project checkout (an editable install): that is never shown
    whole, since it can hold the bot's settings; only the `sandbox` package is.
    """
    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        wanted.add(sysconfig.get_path(key))
    wanted.add(str(Path(__file__).resolve().parent))  # the sandbox package (runtime API)
    wanted.update(extra)
    return _outermost(p for p in wanted if p and os.path.exists(p))


def system_paths() -> tuple[str, ...]:
    return tuple(p for p in (*_SYSTEM_DIRS, *_ETC_ENTRIES) if os.path.lexists(p))


def _outermost(paths: Iterable[str]) -> tuple[str, ...]:
    """Drops paths that lie beneath another one of the set."""
    kept: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths}):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return tuple(kept)


def build_root(spec: RootSpec) -> None:
    """Runs in a warm worker's new mount namespace, before its job is known: the
    read-only tree every job gets, with empty /proc and /job to mount on later."""
    mounts.make_private("/")
    root = spec.mount_point
    mounts.mount("tmpfs", root, "tmpfs", mounts.MS_NOSUID | mounts.MS_NODEV, "size=1m,mode=755")
    for host_path in spec.read_only:
        _show(root, host_path)
    _make_dev(root)
    os.mkdir(f"{root}/proc", 0o555)
    os.makedirs(f"{root}{WORK}", 0o755)
    mounts.remount_read_only(root)


def enter(
    spec: RootSpec, work_tree: int, inputs: Iterable[tuple[str, str]], mount_proc: bool
) -> None:
    """Runs in the job once it is known: its work dir (a tree from mounts.clone_tree,
    since the host mounted it after this namespace was made) at /job, each input bound
    read-only onto the empty file of its name there, then the pivot into the root.

    `mount_proc`: in a PID namespace, a /proc showing only the job's processes.
    """
    root = spec.mount_point
    mounts.attach_tree(work_tree, f"{root}{WORK}")
    for name, host_file in inputs:
        mounts.bind(host_file, f"{root}{WORK}/{name}", read_only=True)
    os.chdir(root)
    mounts.pivot_root_here()
    if mount_proc:
        mounts.mount("proc", "/proc", "proc", mounts.MS_NOSUID | mounts.MS_NODEV | mounts.MS_NOEXEC)


def _show(root: str, host_path: str) -> None:
    target = f"{root}{host_path}"
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    if os.path.islink(host_path):
        os.symlink(os.readlink(host_path), target)
        return
    if os.path.isdir(host_path):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        with open(target, "x"):
            pass
    mounts.bind(host_path, target, read_only=True)


def _make_dev(root: str) -> None:
    os.mkdir(f"{root}/dev", 0o755)
    for name in _DEVICES:
        target = f"{root}/dev/{name}"
        with open(target, "x"):
            pass
        # Device nodes need a mount without nodev; these binds hold one node each.
        mounts.bind(f"/dev/{name}", target, read_only=False, flags=mounts.MS_NOSUID)
    for name, link in _DEV_LINKS.items():
        os.symlink(link, f"{root}/dev/{name}")
