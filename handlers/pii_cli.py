"""`threadlab pii scan DATA [--json]`: the PII decision for each column of a file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.errors import ThreadLabError
from bot.pii.scan import sampled_rows, scan_file
from bot.settings import Settings


@click.group()
def pii() -> None:
    """Find personal data in tables."""


@pii.command("scan")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--sheet", help="Excel sheet to read (default: the first with data).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per column.")
def scan(data: Path, sheet: str | None, as_json: bool) -> None:
    """Show what ingest would mask in DATA: per column the decision, the confidence, the
    evidence (header word, validator hits) and a masked preview. Nothing is cached."""
    try:
        columns = scan_file(data, Settings(), sheet)
    except ThreadLabError as exc:
        raise click.ClickException(exc.user_message) from exc
    if as_json:
        click.echo(json.dumps([c.to_json() for c in columns], ensure_ascii=False))
        return
    table = Table("column", "decision", "confidence", "evidence", "masked preview")
    for column in columns:
        d = column.to_json()
        decision = d["pii_type"] or ("PII inside text" if d["free_text"] else "not PII")
        evidence = [f"header '{d['header_match']}'"] if d["header_match"] else []
        if d["sampled"]:
            evidence.append(f"{d['validator_hits']}/{d['sampled']} values valid")
        table.add_row(
            escape(d["column"]),
            f"[bold]{decision}[/]" if d["masked"] else decision,
            f"{d['confidence']:.2f}",
            escape("; ".join(evidence) or d["reason"]),
            escape(", ".join(str(v) for v in d["preview"])),
        )
    console = Console(highlight=False)
    console.print(table)
    rows = sampled_rows(data, Settings())
    if rows is not None:
        console.print(f"A large file: its first {rows:,} rows were scanned, as ingest decides.")
