"""Operator commands: `threadlab show`, `rerun`, `audit` and `purge`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from bot.assembly import build_pipeline
from bot.errors import ThreadLabError
from bot.retention import purge as purge_data
from bot.settings import Settings
from bot.store import Store
from handlers.terminal import TerminalReply, outcome_json


def _store(settings: Settings) -> Store:
    try:
        return Store(settings.resolved_db_path())
    except ThreadLabError as exc:
        raise click.ClickException(exc.user_message) from exc


@click.command()
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run record as JSON.")
def show(run_id: str, as_json: bool) -> None:
    """Show a stored run: question, status, plan, answer and the code that ran."""
    store = _store(Settings())
    try:
        run = store.get_run(run_id)
    except ThreadLabError as exc:
        raise click.ClickException(exc.user_message) from exc
    if as_json:
        click.echo(json.dumps(run, ensure_ascii=False, default=str))
        return
    console = Console(highlight=False)
    console.print(
        f"[bold]{escape(str(run['question']))}[/] · {run['status']} · {run['created_at']}"
    )
    plan = json.loads(run["plan"]) if run.get("plan") else None
    if plan:
        console.print(f"Plan: {escape(str(plan.get('summary', '')))}")
    if run.get("answer"):
        console.print(f"Answer: {escape(str(run['answer']))}")
    elif run.get("message"):
        console.print(f"Message: {escape(str(run['message']))}")
    if run.get("code"):
        console.print(Syntax(str(run["code"]), "python", line_numbers=True, word_wrap=True))


@click.command()
@click.argument("run_id")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run the stored code on this file instead of the run's own.",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object on stdout.")
def rerun(run_id: str, data: Path | None, as_json: bool) -> None:
    """Replay a stored run's code on the same file, or on a new one with --data."""
    console = Console(stderr=as_json, highlight=False)
    try:
        pipeline = build_pipeline(Settings())
        outcome = pipeline.replay(run_id, data, TerminalReply(console))
    except ThreadLabError as exc:
        console.print(f"[bold red]Error:[/] {exc.user_message}")
        sys.exit(1)
    if as_json:
        click.echo(outcome_json(outcome))
    sys.exit(0 if outcome.ok else 1)


@click.command()
@click.option("--since", help="Only runs from this date or time on (ISO, e.g. 2026-11-01).")
@click.option("--user", help="Only this user's runs (a Slack user id).")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the trail as JSON.")
def audit(since: str | None, user: str | None, limit: int, as_json: bool) -> None:
    """Who asked what, which code ran (its hash), who approved or rejected, the outcome."""
    rows = [_audit_row(r) for r in _store(Settings()).audit(since, user, limit)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("when", "user", "question", "code", "decision", "status")
    for r in rows:
        decision = f"{r['decision']} by {r['decided_by']}" if r["decision"] else ""
        table.add_row(
            r["created_at"],
            r["user"] or "",
            escape(r["question"] or ""),
            (r["code_sha256"] or "")[:12],
            decision,
            r["status"] or "",
        )
    Console(highlight=False).print(table)


def _audit_row(row: dict[str, Any]) -> dict[str, Any]:
    code = row.pop("code", None)
    plan = json.loads(row.pop("plan")) if row.get("plan") else None
    row["code_sha256"] = hashlib.sha256(code.encode()).hexdigest() if code else None
    row["plan_summary"] = plan.get("summary") if plan else None
    return row


@click.command()
@click.option("--days", type=float, help="Override THREADLAB_RETENTION_DAYS.")
def purge(days: float | None) -> None:
    """Delete uploads, caches and run outputs older than the retention period."""
    settings = Settings()
    store = _store(settings)
    done = purge_data(settings.resolved_data_dir(), store, days or settings.retention_days)
    click.echo(f"Deleted {len(done.paths)} expired item(s); {len(done.datasets)} dataset(s).")
