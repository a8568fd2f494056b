"""The `Executor` protocol: how the bot asks for code to be run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sandbox.events import Event
from sandbox.limits import Limits
from sandbox.result import RunResult

EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class Job:
    """One run: code, the files it may read, where its artifacts go, and its limits."""

    code: str
    # name inside the work dir -> file on the host; copied in before the run
    inputs: Mapping[str, Path] = field(default_factory=dict)
    # artifacts (regular files the run wrote) are copied here after the run
    artifacts_dir: Path | None = None
    limits: Limits = field(default_factory=Limits)


class Executor(Protocol):
    def run(self, job: Job, on_event: EventSink | None = None) -> RunResult:
        """Run the job to completion; call `on_event` for each event as it happens."""
        ...
