"""The API generated code uses to report steps, tables, charts and the answer.

Inside the sandbox the runner connects this module to the event pipe. Run outside the
sandbox (someone re-running saved code by hand) it prints a readable summary instead, so
the same script works in both places.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Rows of each table sent with its event; the host shows a preview of at most this many.
EVENT_ROWS = 50

_channel: IO[str] | None = None


def connect(channel: IO[str]) -> None:
    """Called by the runner before the program starts."""
    global _channel
    _channel = channel


def _emit(kind: str, **data: Any) -> None:
    if _channel is None:
        return
    _channel.write(json.dumps({"type": kind, **data}, ensure_ascii=False, default=str) + "\n")
    _channel.flush()


@contextlib.contextmanager
def step(index: int, title: str) -> Iterator[None]:
    """Marks one plan step: started when entered, finished when left without error."""
    _emit("step_started", index=index, title=title)
    if _channel is None:
        print(f"[{index}] {title}")
    started = time.perf_counter()
    yield
    _emit("step_finished", index=index, title=title, seconds=time.perf_counter() - started)


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()  # numpy scalars become Python scalars
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        with contextlib.suppress(ValueError, TypeError):
            return value.isoformat()
    text = str(value)
    return None if text in {"NaT", "nan", "<NA>"} else text


def table(frame: Any, name: str, title: str = "") -> Path:
    """Saves the whole table as `tables/<name>.csv` and reports its first rows."""
    out = Path("tables") / f"{name}.csv"
    out.parent.mkdir(exist_ok=True)
    frame.to_csv(out, index=False, encoding="utf-8")
    head = frame.head(EVENT_ROWS)
    rows = [[_json_safe(v) for v in row] for row in head.itertuples(index=False, name=None)]
    _emit(
        "table",
        name=name,
        title=title or name,
        path=out.as_posix(),
        columns=[str(c) for c in frame.columns],
        rows=rows,
        total_rows=len(frame),
    )
    if _channel is None:
        print(f"{title or name} ({len(frame)} rows) -> {out}")
        print(head.to_string(index=False))
    return out


def image(path: str | Path, title: str = "") -> None:
    """Reports a chart the program saved in the work dir."""
    given = Path(path)
    # The event's path is relative to the work dir, which is how the host finds the
    # collected file; a program that saved with an absolute path still gets its chart.
    if given.is_absolute() and given.is_relative_to(Path.cwd()):
        given = given.relative_to(Path.cwd())
    rel = given.as_posix()
    _emit("image", name=given.stem, path=rel, title=title)
    if _channel is None:
        print(f"chart: {rel}")


def answer(text: str) -> None:
    """Reports the answer to the question, in the question's language."""
    _emit("answer", text=text)
    if _channel is None:
        print(text)
