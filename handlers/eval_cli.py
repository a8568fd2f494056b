"""`threadlab eval`: runs a DABench-style question set through the pipeline and scores it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.assembly import build_pipeline
from bot.errors import ThreadLabError
from bot.eval import Accuracy, EvalReport, QuestionResult, load, pipeline_asker, run_eval
from bot.settings import Settings


@click.command("eval")
@click.argument(
    "directory",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--limit", type=click.IntRange(min=1), help="Ask only the first N questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def eval_command(directory: Path, limit: int | None, as_json: bool) -> None:
    """Run the question set in DIR (InfiAgent-DABench layout) and score the answers.

    Exits 0 when the run completed, whatever the accuracy; 1 when the set cannot be read.
    """
    # Progress always goes to stderr, so stdout holds only the report.
    progress_console = Console(stderr=True, highlight=False)
    try:
        questions = load(directory)
        pipeline = build_pipeline(Settings())
    except ThreadLabError as exc:
        progress_console.print(f"[bold red]Error:[/] {escape(exc.user_message)}")
        sys.exit(1)

    def progress(done: int, total: int, result: QuestionResult) -> None:
        progress_console.print(
            f"[{done}/{total}] id={escape(result.id)} {_verdict(result)}", soft_wrap=True
        )

    report = run_eval(pipeline_asker(pipeline), questions, limit, progress)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        Console(highlight=False).print(_table(report))


def _verdict(result: QuestionResult) -> str:
    if result.failed:
        return f"[red]{escape(result.status)}[/] {escape(result.message)}"
    return "[green]correct[/]" if result.correct else "[yellow]wrong[/]"


def _table(report: EvalReport) -> Table:
    table = Table("", "scored", "correct", "accuracy", title="Evaluation")
    for concept, accuracy in report.by_concept.items():
        table.add_row(escape(concept), *_cells(accuracy))
    table.add_section()
    for level, accuracy in report.by_level.items():
        table.add_row(f"level {escape(level)}", *_cells(accuracy))
    table.add_section()
    table.add_row("[bold]overall (by question)[/]", *_cells(report.accuracy))
    table.add_row("overall (by label)", *_cells(report.label_accuracy))
    table.caption = f"pipeline errors: {report.errors} of {len(report.results)} questions"
    return table


def _cells(accuracy: Accuracy) -> list[str]:
    return [str(accuracy.total), str(accuracy.correct), f"{accuracy.value:.1%}"]
