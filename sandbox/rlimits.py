"""The resource limits a run's process gets before exec, as (resource, soft, hard)."""

from __future__ import annotations

import resource

from sandbox.limits import Limits

# The CPU hard limit sits this far above the soft one: the soft limit sends SIGXCPU
# (which the host reports as "cpu_limit"); SIGKILL at the hard limit only catches a
# program that ignores SIGXCPU.
CPU_GRACE_S = 3

RLimit = tuple[int, int, int]


def rlimits_for(limits: Limits, memory_by_cgroup: bool, processes_by_cgroup: bool) -> list[RLimit]:
    """The rlimits of a run; memory and processes only where no cgroup limits them."""
    cpu = max(1, int(limits.cpu_time_s))
    chosen: list[RLimit] = [
        (resource.RLIMIT_CPU, cpu, cpu + CPU_GRACE_S),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if not processes_by_cgroup:
        # Counted per uid across the host (the bot's own threads and other runs
        # included) and ignored for root, so only a fallback for the pids cgroup.
        chosen.append((resource.RLIMIT_NPROC, limits.max_processes, limits.max_processes))
    if not memory_by_cgroup:
        # RLIMIT_DATA, not RLIMIT_AS: see sandbox/memory.py for the measurements.
        chosen.append((resource.RLIMIT_DATA, limits.memory_bytes, limits.memory_bytes))
    return chosen


def apply(chosen: list[RLimit]) -> None:
    """Runs in the child between fork and exec: lowers each limit, never raises one."""
    for which, soft, hard in chosen:
        _, cur_hard = resource.getrlimit(which)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))
