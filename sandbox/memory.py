"""Which mechanism limits a run's memory on this host, for the executor and `doctor`.

A memory cgroup is preferred: it counts what the run really uses and lets Arrow-based
engines reserve address space freely. Without one, RLIMIT_DATA is the fallback, not
RLIMIT_AS: measured on a 2-core host with pandas 3.1, pyarrow 26, duckdb 2.0, a small
pyarrow-backed pandas + DuckDB + matplotlib job has a 2.5 GB virtual size for 260 MB
resident, fails under RLIMIT_AS at 2 GB (DuckDB cannot allocate), and its virtual size
grows with the core count (thread stacks, malloc arenas), so 4 GB of AS breaks it on
bigger hosts. RLIMIT_DATA counts only writable private mappings: the same job runs
under 500 MB, and a 1 GB NumPy allocation under a 300 MB limit fails with MemoryError.
"""

from __future__ import annotations

import functools
from typing import Literal

from sandbox import cgroups

Mechanism = Literal["cgroup v2", "cgroup v1", "rlimit"]


@functools.cache
def _hierarchies() -> tuple[cgroups.Hierarchy, ...]:
    return tuple(cgroups.hierarchies())


def usable_hierarchies() -> list[cgroups.Hierarchy]:
    """The cgroup hierarchies found once per process (the host does not change)."""
    return list(_hierarchies())


def memory_limit_mechanism() -> Mechanism:
    """What limits a run's memory here: "cgroup v2", "cgroup v1" or "rlimit"."""
    for h in _hierarchies():
        if "memory" in h.controllers:
            return "cgroup v2" if h.version == 2 else "cgroup v1"
    return "rlimit"


def process_limit_mechanism() -> Literal["cgroup", "rlimit"]:
    """What limits a run's processes: the pids cgroup, or RLIMIT_NPROC (per uid, and
    ignored for root)."""
    return "cgroup" if any("pids" in h.controllers for h in _hierarchies()) else "rlimit"
