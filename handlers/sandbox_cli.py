"""`threadlab sandbox run`: code in the sandbox exactly as the bot runs it, minus the policy."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import IO

import click

from bot.assembly import build_executor
from bot.settings import MIB, Settings
from sandbox.errors import SandboxError
from sandbox.events import Event
from sandbox.executor import Job


@click.group()
def sandbox() -> None:
    """Run code in ThreadLab's sandbox."""


@sandbox.command("run")
@click.argument("file", default="-", type=click.File("r", encoding="utf-8"))
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file copied into the work dir under its own name (repeatable).",
)
@click.option("--timeout", type=float, help="Wall-time limit in seconds.")
@click.option("--memory", type=int, help="Memory limit in MB.")
@click.option("--out", type=click.Path(path_type=Path), help="Keep the run's artifacts here.")
@click.option("--json", "as_json", is_flag=True, help="End with the RunResult as JSON.")
def run(
    file: IO[str],
    inputs: tuple[Path, ...],
    timeout: float | None,
    memory: int | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run FILE (or stdin) in the sandbox; exit 0 only if it exited 0 within its limits."""
    settings = Settings()
    limits = settings.sandbox_limits()
    if timeout is not None:
        limits = dataclasses.replace(limits, wall_time_s=timeout)
    if memory is not None:
        limits = dataclasses.replace(limits, memory_bytes=memory * MIB)
    names = [p.name for p in inputs]
    if len(set(names)) != len(names):
        raise click.BadParameter("two inputs share a file name", param_hint="--input")
    job = Job(
        code=file.read(),
        inputs={p.name: p.resolve() for p in inputs},
        artifacts_dir=out,
        limits=limits,
    )
    executor = build_executor(settings)
    try:
        result = executor.run(job, _stream_output)
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        executor.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
    else:
        click.echo(
            f"[sandbox] {result.status}: {result.message} ({result.duration_s:.2f} s)", err=True
        )
    sys.exit(0 if result.ok else 1)


def _stream_output(event: Event) -> None:
    """The program's own output goes where it would have gone: stdout or stderr."""
    if event.type == "log":
        stream = sys.stderr if event.data.get("stream") == "stderr" else sys.stdout
        print(event.data.get("text", ""), file=stream, flush=True)
