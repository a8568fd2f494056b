"""What a run produced, as data: status, the user's message, timings, artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sandbox.events import Event

RunStatus = Literal[
    "ok", "error", "timeout", "out_of_memory", "cpu_limit", "output_limit", "killed"
]


@dataclass(frozen=True)
class Artifact:
    """A regular file collected from the work dir after the run."""

    name: str  # path relative to the work dir, POSIX separators
    path: Path  # where it was copied to on the host
    size: int
    kind: Literal["image", "table", "file"]


@dataclass
class RunResult:
    status: RunStatus
    message: str  # what a user reads: "ran out of memory at the 4 GB limit"
    exit_code: int | None  # negative: killed by that signal
    duration_s: float
    peak_memory_bytes: int | None = None
    stdout: str = ""  # capped at Limits.output_bytes (stdout+stderr together)
    stderr: str = ""
    output_truncated: bool = False
    events: list[Event] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary (events and artifact paths included)."""
        return {
            "status": self.status,
            "message": self.message,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
            "peak_memory_bytes": self.peak_memory_bytes,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "output_truncated": self.output_truncated,
            "events": [e.as_dict() for e in self.events],
            "artifacts": [
                {"name": a.name, "path": str(a.path), "size": a.size, "kind": a.kind}
                for a in self.artifacts
            ],
        }
