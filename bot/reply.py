"""The `Reply` protocol: how the pipeline talks to a transport (terminal, Slack, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.models import Dataset, Plan
from sandbox.events import Event

OutcomeStatus = Literal["ok", "error", "needs_approval", "blocked"]


@dataclass(frozen=True)
class TablePreview:
    """A result table: its first rows for display, and where the whole of it was saved."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total_rows: int
    csv_path: Path | None = None
    # Rows in the CSV when it holds only the first of `total_rows` (a DuckDB result too
    # long to hand to pandas whole); None when it holds them all.
    saved_rows: int | None = None

    @property
    def csv_label(self) -> str:
        """How a reply names the CSV: the whole table, or its first rows."""
        if self.saved_rows is None or self.saved_rows >= self.total_rows:
            return "the whole table"
        return f"its first {self.saved_rows:,} rows"

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)


@dataclass
class Outcome:
    """Everything a run produced, as a transport needs it."""

    status: OutcomeStatus
    run_id: str
    question: str
    message: str = ""  # the user-facing reason when status is not ok
    answer: str = ""
    plan: Plan | None = None
    code: str = ""
    tables: list[TablePreview] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    artifacts: list[Path] = field(default_factory=list)
    masked_columns: list[dict[str, Any]] = field(default_factory=list)  # see MaskedColumn
    findings: list[dict[str, Any]] = field(default_factory=list)  # the code policy's
    timings: dict[str, float] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)  # calls, tokens in/out, seconds
    # The last sandbox run: status, exit code, seconds and peak memory (its cgroup's).
    sandbox: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Reply(Protocol):
    """A transport's side of one request. Calls arrive in this order; any may be skipped."""

    def dataset(self, dataset: Dataset) -> None:
        """The input was read; its profile is known."""

    def plan(self, plan: Plan) -> None:
        """The plan, to show as a checklist."""

    def code(self, code: str) -> None:
        """The generated code, before it runs."""

    def event(self, event: Event) -> None:
        """Something happened in the sandbox (a step, a log line, a table, ...)."""

    def finish(self, outcome: Outcome) -> None:
        """The end: answer, tables, charts, or the reason it failed."""
