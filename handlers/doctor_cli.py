"""`threadlab doctor`: which sandbox layers this host provides, and what that means."""

from __future__ import annotations

import dataclasses
import json

import click
from rich.console import Console
from rich.table import Table

from bot.assembly import build_isolation
from bot.settings import Settings
from sandbox.layers import host_layers

_STYLE = {"active": "green", "fallback": "yellow", "unavailable": "red", "off": "dim"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the layers as JSON.")
def doctor(as_json: bool) -> None:
    """List each sandbox layer as active, fallback, unavailable or off on this host."""
    settings = Settings()
    layers = host_layers(build_isolation(settings), str(settings.resolved_data_dir() / "work"))
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(layer) for layer in layers]))
        return
    table = Table("layer", "state", "what it means")
    for layer in layers:
        style = _STYLE[layer.state]
        table.add_row(layer.name, f"[{style}]{layer.state}[/]", layer.detail)
    console = Console(highlight=False)
    console.print(table)
