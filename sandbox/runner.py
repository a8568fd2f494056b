"""The child's entry point: `python -I -m sandbox.runner --events-fd N SCRIPT`.

It connects `sandbox.runtime` to the event pipe, then runs SCRIPT as `__main__` in the
current directory (the work dir). An uncaught exception prints a normal traceback, one
that starts at the script and not inside this module, and exits 1.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from types import TracebackType

from sandbox import runtime, supervisor


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sandbox.runner")
    parser.add_argument("--events-fd", type=int, required=True)
    parser.add_argument(
        "--pid-namespace",
        action="store_true",
        help="the launcher unshared PID and mount namespaces: run the job under an init",
    )
    parser.add_argument("script")
    return parser.parse_args(argv)


def _connect_events(fd: int) -> None:
    # Programs the job starts must not inherit the pipe and forge events from outside
    # the runtime's control; the runner's own copy stays open for the whole run.
    os.set_inheritable(fd, False)
    channel = open(fd, "w", encoding="utf-8", buffering=1, closefd=True)  # noqa: SIM115
    runtime.connect(channel)


def _apply_interpreter_settings() -> None:
    # -I makes the interpreter ignore PYTHON* variables, so the runner applies what
    # PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED would have: no .pyc files in the work
    # dir, and each printed line reaches the host as it is printed.
    sys.dont_write_bytecode = True
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    # Agg needs no display; set here too so a runner started by hand behaves the same.
    os.environ["MPLBACKEND"] = "Agg"


def _from_script(tb: TracebackType | None, script: str) -> TracebackType | None:
    """Drops the frames of this module and runpy above the script's first frame."""
    first = tb
    while first is not None and first.tb_frame.f_code.co_filename != script:
        first = first.tb_next
    # A SyntaxError in the script has no frame of its own: show no frames at all.
    return first


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.pid_namespace:
        supervisor.split()  # from here on, this is the job, PID 2 of its namespace
    _apply_interpreter_settings()
    _connect_events(args.events_fd)
    # Kept as given (relative to the work dir), so tracebacks read `File "main.py"`:
    # the host's paths mean nothing to the user and need not leak to the LLM.
    script = args.script
    sys.argv = [script]
    try:
        runpy.run_path(script, run_name="__main__")
    except Exception as exc:
        trimmed = exc.with_traceback(_from_script(exc.__traceback__, script))
        traceback.print_exception(trimmed)
        return 1
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
