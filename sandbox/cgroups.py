"""A cgroup per run: memory limit (swap 0), process limit, peak memory, kill-everything.

Supports cgroup v2 (one directory, when the memory controller is delegated to the
executor's own cgroup) and cgroup v1 (one directory per hierarchy: memory, pids). Each
run's cgroup is created inside the executor's own cgroup so that any limit the host
put on the bot still applies on top.

The child joins the cgroup itself, between fork and exec (`JobCgroup.join_files`), so
that every byte it allocates is charged from the start.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.limits import Limits

_MOUNTINFO = Path("/proc/self/mountinfo")
_SELF_CGROUP = Path("/proc/self/cgroup")


@dataclass(frozen=True)
class Hierarchy:
    """Where the executor sits in one mounted cgroup hierarchy."""

    version: int  # 1 or 2
    controllers: frozenset[str]  # the ones usable for a child of `own`
    own: Path  # the executor's own cgroup directory


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, mount root, fstype, super options) of each cgroup mount."""
    found = []
    with contextlib.suppress(OSError):
        for line in _MOUNTINFO.read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) < 5 or len(tail) < 3 or tail[0] not in {"cgroup", "cgroup2"}:
                continue
            found.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """Controller name ("" for v2) -> the executor's cgroup path in that hierarchy."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in _SELF_CGROUP.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _join(mount_point: str, mount_root: str, path: str) -> Path:
    # Inside a cgroup namespace the mount root is "/"; on a host that bind-mounted a
    # sub-tree, the path in /proc/self/cgroup still starts with that sub-tree.
    if mount_root != "/" and path.startswith(mount_root):
        path = path[len(mount_root) :]
    return Path(mount_point) / path.lstrip("/")


def _v2_controllers(own: Path) -> frozenset[str]:
    """Controllers a child of `own` gets, enabling memory and pids if allowed to."""
    try:
        available = set((own / "cgroup.controllers").read_text().split())
        enabled = set((own / "cgroup.subtree_control").read_text().split())
    except OSError:
        return frozenset()
    for wanted in ({"memory", "pids"} & available) - enabled:
        # Fails with EBUSY when the executor's own cgroup holds processes (the "no
        # internal processes" rule); the operator then delegates a leaf for it.
        with contextlib.suppress(OSError):
            (own / "cgroup.subtree_control").write_text(f"+{wanted}")
            enabled.add(wanted)
    return frozenset(enabled & {"memory", "pids"})


def hierarchies() -> list[Hierarchy]:
    """The writable hierarchies with a memory or pids controller for per-run cgroups."""
    own_paths = _own_paths()
    found: list[Hierarchy] = []
    for point, root, fstype, options in _mounts():
        if fstype == "cgroup2":
            own = _join(point, root, own_paths.get("", "/"))
            controllers = _v2_controllers(own)
            version = 2
        else:
            controllers = frozenset(options & {"memory", "pids"})
            if not controllers:
                continue
            name = next(iter(controllers))
            own = _join(point, root, own_paths.get(name, "/"))
            version = 1
        if controllers and os.access(own, os.W_OK):
            found.append(Hierarchy(version, controllers, own))
    return found


@dataclass
class JobCgroup:
    """The cgroup directories of one run (one for v2, up to two for v1)."""

    memory_dir: Path | None = None
    memory_version: int = 0
    pids_dir: Path | None = None
    dirs: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_dir": str(self.memory_dir) if self.memory_dir else None,
            "memory_version": self.memory_version,
            "pids_dir": str(self.pids_dir) if self.pids_dir else None,
            "dirs": [str(d) for d in self.dirs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobCgroup:
        return cls(
            memory_dir=Path(data["memory_dir"]) if data.get("memory_dir") else None,
            memory_version=int(data.get("memory_version", 0)),
            pids_dir=Path(data["pids_dir"]) if data.get("pids_dir") else None,
            dirs=[Path(d) for d in data.get("dirs", [])],
        )

    def set_limits(self, limits: Limits) -> None:
        """Applies a job's limits to a cgroup made before the job was known (a warm
        worker's); writing limits is quick, moving a process between cgroups is not."""
        if self.memory_dir is not None:
            _set_memory(self.memory_dir, self.memory_version, limits.memory_bytes)
        if self.pids_dir is not None:
            _write(self.pids_dir / "pids.max", str(limits.max_processes))

    @property
    def join_files(self) -> list[str]:
        """`cgroup.procs` files the child writes "0" to, before exec."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> set[int]:
        members: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                members.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return members

    def kill_all(self, timeout_s: float = 2.0) -> bool:
        """SIGKILLs every process in the cgroup, including any that left the process
        group with setsid; returns True when the cgroup is empty."""
        for d in self.dirs:
            # cgroup v2 (kernel 5.14+) kills the whole cgroup atomically, forks included.
            with contextlib.suppress(OSError):
                (d / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + timeout_s
        while True:
            members = self.pids()
            if not members:
                return True
            # v1 has no cgroup.kill: repeat until empty, since a process may fork between
            # the read and the kill. The pids limit bounds how long this can go on.
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of this run for the memory limit."""
        if self.memory_dir is None:
            return False
        name = "memory.events" if self.memory_version == 2 else "memory.oom_control"
        try:
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def peak_memory(self) -> int | None:
        if self.memory_dir is None:
            return None
        name = "memory.peak" if self.memory_version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    # EBUSY while the last killed task is still being torn down.
                    if exc.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def create(limits: Limits, found: list[Hierarchy], want_memory: bool = True) -> JobCgroup:
    """Creates the run's cgroups where the host allows; an empty JobCgroup otherwise."""
    job = JobCgroup()
    name = f"threadlab-{os.getpid()}-{secrets.token_hex(6)}"
    for h in found:
        use_memory = want_memory and "memory" in h.controllers and job.memory_dir is None
        use_pids = "pids" in h.controllers and job.pids_dir is None
        if not (use_memory or use_pids):
            continue
        d = h.own / name
        try:
            d.mkdir()
        except OSError:
            continue
        job.dirs.append(d)
        if use_memory and _set_memory(d, h.version, limits.memory_bytes):
            job.memory_dir, job.memory_version = d, h.version
        if use_pids and _write(d / "pids.max", str(limits.max_processes)):
            job.pids_dir = d
    return job


def _set_memory(d: Path, version: int, limit: int) -> bool:
    if version == 2:
        if not _write(d / "memory.max", str(limit)):
            return False
        _write(d / "memory.swap.max", "0")  # absent when swap accounting is off
        return True
    # memsw is memory+swap; equal to the memory limit means no swap. Absent when the
    # kernel does not account swap, which then also means none is used for the run.
    # v1 insists on memsw >= memory at every moment: raising a limit needs memsw first,
    # lowering it needs memory first, so memsw is written on both sides.
    memsw = d / "memory.memsw.limit_in_bytes"
    _write(memsw, str(limit))
    if not _write(d / "memory.limit_in_bytes", str(limit)):
        return False
    _write(memsw, str(limit))
    return True
