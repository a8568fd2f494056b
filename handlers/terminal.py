"""The terminal transport for `threadlab ask`: checklist, live log, answer, tables, charts."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.status import Status
from rich.syntax import Syntax
from rich.table import Table

from bot.models import Dataset, Plan
from bot.reply import Outcome, TablePreview
from sandbox.events import Event


class TerminalReply:
    """Renders one request for a person at a terminal (on stderr when stdout carries JSON)."""

    def __init__(self, console: Console, show_code: bool = False) -> None:
        self.console = console
        self.show_code = show_code
        self._titles: dict[int, str] = {}
        self._status: Status | None = None

    def dataset(self, dataset: Dataset) -> None:
        p = dataset.profile
        self.console.print(
            f"[bold]{escape(dataset.name)}[/]: {p.rows:,} rows x {len(p.columns)} columns "
            f"({dataset.format}{', ' + dataset.encoding if dataset.encoding else ''})"
        )
        if dataset.masked:
            self.console.print("Personal data replaced by tokens before any analysis:")
            for m in dataset.masked:
                if m.free_text:
                    line = f"{m.values_masked:,} values inside {m.distinct_values:,} rows of text"
                    kind = "PII in free text"
                else:
                    line = f"{m.values_masked:,} values, {m.distinct_values:,} distinct"
                    kind = str(m.pii_type)
                derived = f"; added {', '.join(m.derived)}" if m.derived else ""
                self.console.print(f"  {escape(m.column)}: {kind}, {line}{escape(derived)}")
            self.console.print(
                "  [dim]Real values are shown back here only; THREADLAB_PII_RESTORE=never "
                "hides them, THREADLAB_PII_TOKENISE=false turns masking off.[/]"
            )

    def plan(self, plan: Plan) -> None:
        self.console.print(f"[bold]Plan[/]: {escape(plan.summary)}")
        for index, title in enumerate(plan.checklist(), start=1):
            self._titles[index] = title
            self.console.print(f"  [ ] {index}. {escape(title)}")
        for note in plan.notes:
            self.console.print(f"  [dim]note: {escape(note)}[/]")

    def code(self, code: str) -> None:
        if self.show_code:
            self.console.print(Syntax(code, "python", line_numbers=True, word_wrap=True))

    def event(self, event: Event) -> None:
        d = event.data
        if event.type == "step_started":
            text = f"Step {d.get('index')}/{len(self._titles)}: {escape(str(d.get('title', '')))}"
            if self._status is None:
                self._status = self.console.status(text)
                self._status.start()
            else:
                self._status.update(text)
        elif event.type == "step_finished":
            self.console.print(
                f"  [green]✓[/] {d.get('index')}. {escape(str(d.get('title', '')))} "
                f"[dim]({float(d.get('seconds', 0)):.2f} s)[/]"
            )
        elif event.type == "log":
            style = "red" if d.get("stream") == "stderr" else "dim"
            self.console.print(f"    [{style}]{escape(str(d.get('text', '')))}[/]")

    def finish(self, outcome: Outcome) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        for table in outcome.tables:
            self.console.print(_render_table(table))
            if table.truncated and table.csv_path:
                self.console.print(
                    f"  [dim]{len(table.rows)} of {table.total_rows:,} rows shown; "
                    f"{table.csv_label}: {table.csv_path}[/]"
                )
        for image in outcome.images:
            self.console.print(f"Chart: {image}")
        if outcome.answer:
            self.console.print(Panel(escape(outcome.answer), title="Answer", expand=False))
        if not outcome.ok and outcome.message and outcome.message != outcome.answer:
            self.console.print(f"[bold red]Error:[/] {escape(outcome.message)}")
        timings = ", ".join(f"{k} {v:.2f} s" for k, v in outcome.timings.items())
        if outcome.llm.get("calls"):
            u = outcome.llm
            timings += (
                f"; LLM {u['calls']} calls, {u['prompt_tokens']:,} tokens in, "
                f"{u['completion_tokens']:,} out"
            )
        self.console.print(f"[dim]run {outcome.run_id} · {timings}[/]")


def _render_table(preview: TablePreview) -> Table:
    table = Table(title=preview.title or preview.name, show_lines=False)
    for column in preview.columns:
        table.add_column(escape(column))
    for row in preview.rows:
        table.add_row(*(escape(_cell(v)) for v in row))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e-3 and value else f"{value:,.2f}"
    return str(value)


def outcome_json(outcome: Outcome) -> str:
    """The `--json` contract of `threadlab ask`: one object, on stdout, at the end."""
    return json.dumps(
        {
            "status": outcome.status,
            "run_id": outcome.run_id,
            "message": outcome.message,
            "answer": outcome.answer,
            "plan": outcome.plan.model_dump(mode="json") if outcome.plan else None,
            "code": outcome.code,
            "tables": [
                {
                    "name": t.name,
                    "title": t.title,
                    "columns": t.columns,
                    "rows": t.rows,
                    "total_rows": t.total_rows,
                    "csv": str(t.csv_path) if t.csv_path else None,
                }
                for t in outcome.tables
            ],
            "artifacts": [str(p) for p in outcome.artifacts],
            "masked_columns": outcome.masked_columns,
            "findings": outcome.findings,
            "timings": outcome.timings,
            "llm": outcome.llm,
            "sandbox": outcome.sandbox,
        },
        ensure_ascii=False,
        default=str,
    )
