"""The limits of one sandbox run, passed in as a value (never module-level globals)."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Defaults follow ../shared/SANDBOX.md."""

    wall_time_s: float = 300.0
    cpu_time_s: int = 600
    memory_bytes: int = 4096 * MIB
    max_processes: int = 64
    file_size_bytes: int = 1024 * MIB
    open_files: int = 256
    output_bytes: int = 1 * MIB
    max_artifacts: int = 20
    artifact_bytes: int = 20 * MIB
    # The work dir's own filesystem (where the host can mount one): what the run may
    # write in all, and how many files and dirs it may make. Inputs are not counted.
    workdir_bytes: int = 1024 * MIB
    workdir_files: int = 16384
    # Disk behind the work dir's .spill dir, where DuckDB spills, when the work dir is a
    # tmpfs (whose pages would count as the run's memory). The host stops a run that
    # puts more there, or more than workdir_files files.
    spill_bytes: int = 8192 * MIB

    def memory_label(self) -> str:
        """How the memory limit reads in a message: "4 GB", "512 MB"."""
        if self.memory_bytes % (1024 * MIB) == 0:
            return f"{self.memory_bytes // (1024 * MIB)} GB"
        return f"{self.memory_bytes // MIB} MB"
