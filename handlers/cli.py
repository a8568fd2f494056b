"""The `threadlab` console script."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from pathlib import Path
from typing import TextIO

import click
import pydantic
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import logs
from bot.assembly import build_pipeline
from bot.errors import ThreadLabError
from bot.models import Request
from bot.review import review as review_code
from bot.settings import Settings
from bot.store import Store
from handlers.doctor_cli import doctor
from handlers.eval_cli import eval_command
from handlers.ops_cli import audit, purge, rerun, show
from handlers.pii_cli import pii
from handlers.sandbox_cli import sandbox
from handlers.terminal import TerminalReply, outcome_json
from sandbox.errors import SandboxError
from sandbox.executor import Executor
from sandbox.sandbox_executor import SandboxExecutor


class _Commands(click.Group):
    """The command group; a setting that fails validation is a one-line error naming its
    environment variable, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except pydantic.ValidationError as exc:
            raise click.ClickException(invalid_settings(exc)) from exc


def invalid_settings(exc: pydantic.ValidationError) -> str:
    problems = [
        f"THREADLAB_{str(error['loc'][0]).upper()}: {error['msg']}"
        if error["loc"]
        else str(error["msg"])
        for error in exc.errors()
    ]
    return "invalid settings: " + "; ".join(problems) + "."


@click.group(cls=_Commands)
@click.version_option(package_name="threadlab")
def main() -> None:
    """ThreadLab: ask questions about your data; the code runs in a local sandbox."""


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object on stdout.")
@click.option("--out", type=click.Path(path_type=Path), help="Directory for charts and tables.")
@click.option("--show-code", is_flag=True, help="Print the generated code.")
@click.option("--sheet", help="Excel sheet to read (default: the first with data).")
@click.option("--yes", is_flag=True, help="Approve code the policy holds for approval.")
@click.option(
    "--thread", help="A conversation name: the planner sees earlier questions of the thread."
)
def ask(
    data: Path,
    question: str,
    as_json: bool,
    out: Path | None,
    show_code: bool,
    sheet: str | None,
    yes: bool,
    thread: str | None,
) -> None:
    """Answer QUESTION about the table in DATA (CSV, Excel, Parquet, JSON lines)."""
    # With --json, stdout carries only the final object; the live view goes to stderr.
    console = Console(stderr=as_json, highlight=False)
    settings = Settings()
    # Log lines would interleave with the live view: warnings and worse only, unless
    # THREADLAB_LOG_LEVEL asks for more.
    logs.configure(settings, level=None if "log_level" in settings.model_fields_set else "WARNING")
    try:
        pipeline = build_pipeline(settings)
        _start_sandbox_early(pipeline.executor)
        reply = TerminalReply(console, show_code)
        request = Request(
            data=data, question=question, sheet=sheet, out_dir=out, approved=yes, thread=thread
        )
        outcome = pipeline.ask(request, reply)
    except ThreadLabError as exc:
        console.print(f"[bold red]Error:[/] {exc.user_message}")
        sys.exit(1)
    if as_json:
        click.echo(outcome_json(outcome))
    sys.exit(0 if outcome.ok else 1)


def _start_sandbox_early(executor: Executor) -> None:
    """Boots the sandbox's zygote (a second or so of imports) while the file is read and
    the plan made, instead of after. A failure here shows again, clearly, at the run."""

    if not isinstance(executor, SandboxExecutor):
        return
    sandbox = executor

    def boot() -> None:
        with contextlib.suppress(SandboxError, OSError):
            sandbox.warm()

    threading.Thread(target=boot, name="sandbox-warm", daemon=True).start()


@main.command()
def serve() -> None:
    """Run the Slack bot: Socket Mode by default, HTTP with THREADLAB_SLACK_MODE=http."""
    from handlers.slack.app import serve as run_bot  # Slack libraries load only here

    settings = Settings()
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_APP_TOKEN", settings.slack_app_token),
        )
        if not value.get_secret_value()
        and not (name == "SLACK_APP_TOKEN" and settings.slack_mode == "http")
    ]
    if settings.slack_mode == "http" and not settings.slack_signing_secret.get_secret_value():
        missing.append("SLACK_SIGNING_SECRET")
    if missing:
        raise click.ClickException(
            f"{', '.join(missing)} must be set (see manifest.yml and .env.example)."
        )
    logs.configure(settings)
    run_bot(settings)


@main.command()
@click.option("--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def history(limit: int, as_json: bool) -> None:
    """List recent runs, newest first."""
    settings = Settings()
    try:
        runs = Store(settings.resolved_db_path()).recent_runs(limit)
    except ThreadLabError as exc:
        click.echo(f"Error: {exc.user_message}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(runs, ensure_ascii=False))
        return
    table = Table("run", "when", "status", "dataset", "question", "seconds")
    for run in runs:
        total = json.loads(run["timings"]).get("total") if run["timings"] else None
        table.add_row(
            run["id"],
            run["created_at"],
            run["status"],
            escape(run["dataset"] or ""),
            escape(run["question"]),
            f"{total:.2f}" if total is not None else "",
        )
    Console(highlight=False).print(table)


@main.command()
@click.argument("file", default="-", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as one JSON object.")
def review(file: TextIO, as_json: bool) -> None:
    """Check the code in FILE (or stdin) against the code policy, without running it.

    Exits 0 when the code is ok, 1 when it needs approval and 2 when it is blocked.
    """
    result = review_code(file.read())
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for finding in result.findings:
            label = "blocked" if finding.status == "blocked" else "needs approval"
            click.echo(f"line {finding.line}: [{finding.rule}, {label}] {finding.reason}")
        click.echo(f"status: {result.status}")
    sys.exit({"ok": 0, "needs_approval": 1, "blocked": 2}[result.status])


main.add_command(sandbox)
main.add_command(doctor)
main.add_command(pii)
main.add_command(show)
main.add_command(rerun)
main.add_command(audit)
main.add_command(purge)
main.add_command(eval_command)
