"""One job, in the process the zygote forked for it: isolate, then run the code.

In order, each step needing what the one before left: descriptors (only stdin from
/dev/null, stdout, stderr and the event pipe stay open), a new session, the job's
cgroups, new namespaces; then, under an init in the PID namespace, the minimal
read-only root; then in the job itself the work dir, the empty environment, rlimits,
Landlock, the unprivileged uid and finally the seccomp filter (which forbids several of
the calls made before it). Only then does the user's code run, as `__main__`.

This process never returns to the zygote's code: it ends with os._exit, with the
program's exit code, or 70 when the sandbox could not be set up.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import NoReturn

from sandbox import (
    jail,
    landlock,
    namespaces,
    privileges,
    rlimits,
    runtime,
    seccomp_filter,
    supervisor,
)
from sandbox.protocol import JobRequest

EVENTS_FD = 3
SETUP_FAILED = 70  # EX_SOFTWARE: the sandbox, not the program, failed


class SandboxSetupError(Exception):
    """The job could not be isolated as asked; the program did not run."""


def run(request: JobRequest, *, stdout: int, stderr: int, events: int) -> NoReturn:
    code = SETUP_FAILED
    try:
        _arrange_descriptors(stdout, stderr, events)
        os.setsid()
        _join_cgroups(request.cgroup_files)
        namespaces.enter(request.namespaces)
        if request.namespaces & namespaces.CLONE_NEWPID:
            spec = jail.JailSpec.from_json(request.jail) if request.jail else None
            supervisor.split(prepare_root=(lambda: jail.build(spec)) if spec else None)
        elif request.jail:
            jail.build(jail.JailSpec.from_json(request.jail))
        _isolate(request)
        code = _run_script(request.script)
    except BaseException as exc:
        _report_setup_failure(exc)
    finally:
        os._exit(code)


def _arrange_descriptors(stdout: int, stderr: int, events: int) -> None:
    """stdin /dev/null, stdout, stderr, events on 3; every other descriptor closed, so
    the job holds nothing of the zygote's (its control socket, other jobs' sockets)."""
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    if events != EVENTS_FD:
        os.dup2(events, EVENTS_FD)
    os.closerange(EVENTS_FD + 1, 1 << 20)
    os.set_inheritable(EVENTS_FD, False)  # programs the job starts must not forge events


def _join_cgroups(files: list[str]) -> None:
    for path in files:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, b"0")  # "0" is the writing process itself
        finally:
            os.close(fd)


def _isolate(request: JobRequest) -> None:
    os.chdir(request.cwd)
    os.environ.clear()
    os.environ.update(request.env)
    rlimits.apply(request.rlimits)
    if request.landlock:
        landlock.restrict(
            [Path(p) for p in request.landlock_read_only],
            [Path(p) for p in request.landlock_read_write],
        )
    if request.uid is not None and request.gid is not None:
        privileges.drop(request.uid, request.gid)
    if request.seccomp:
        seccomp_filter.install()
    _fresh_random_state()


def _fresh_random_state() -> None:
    # Every job is a fork of one zygote: without this, each would draw the same
    # "random" numbers from NumPy's global generator. (The random module reseeds itself
    # after a fork.)
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def _from_script(tb: TracebackType | None, script: str) -> TracebackType | None:
    """Drops the frames of this module and runpy above the script's first frame."""
    first = tb
    while first is not None and first.tb_frame.f_code.co_filename != script:
        first = first.tb_next
    # A SyntaxError in the script has no frame of its own: show no frames at all.
    return first


def _run_script(script: str) -> int:
    sys.dont_write_bytecode = True  # no .pyc files in the work dir
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # Each printed line reaches the host as it is printed.
            reconfigure(line_buffering=True)
    runtime.connect(open(EVENTS_FD, "w", encoding="utf-8", buffering=1, closefd=True))  # noqa: SIM115
    # Kept as given (relative to the work dir), so tracebacks read `File "main.py"`:
    # the host's paths mean nothing to the user and need not leak to the LLM.
    sys.argv = [script]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException as exc:
        trimmed = exc.with_traceback(_from_script(exc.__traceback__, script))
        traceback.print_exception(trimmed)
        return 1
    finally:
        _finish_like_the_interpreter()
    return 0


def _finish_like_the_interpreter() -> None:
    """What a normal interpreter does at exit and os._exit skips: wait for the
    program's non-daemon threads, run atexit handlers, flush the streams."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is not None:
        run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter would exit with for this SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _report_setup_failure(exc: BaseException) -> None:
    message = f"{SandboxSetupError.__name__}: isolating the job failed: {exc}\n"
    with contextlib.suppress(OSError):
        os.write(2, message.encode())
