"""A warm worker: a process the zygote forked before its job was known.

Before the job: a new session, the worker's cgroups, new namespaces and, under an init
in the PID namespace, the read-only root (jail.build_root). Then it says "ready" and
waits. With the job: its descriptors (only stdin from /dev/null, stdout, stderr and the
event pipe stay open), its work dir and inputs mounted and the pivot into the root, the
work dir as cwd, the empty environment, rlimits, Landlock, the unprivileged uid and
finally the seccomp filter (which forbids several of the calls made before it). Only
then does the user's code run, as `__main__`. Everything that can be done before the
job is, so a job waits only for what depends on it (moving a process into a cgroup
alone takes 10 ms or more on cgroup v1).

This process never returns to the zygote's code: it ends with os._exit, with the
program's exit code, or 70 when the sandbox could not be set up.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import runpy
import socket
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
    protocol,
    rlimits,
    runtime,
    seccomp_filter,
    supervisor,
)
from sandbox.protocol import JobRequest, ZygoteConfig

EVENTS_FD = 3
SETUP_FAILED = 70  # EX_SOFTWARE: the sandbox, not the program, failed
JOB_NICENESS = 10


class SandboxSetupError(Exception):
    """The job could not be isolated as asked; the program did not run."""


def serve_one_job(
    config: ZygoteConfig, cgroup_files: list[str], channel: socket.socket
) -> NoReturn:
    """The worker's whole life; `channel` is its socket to the zygote."""
    code = SETUP_FAILED
    root = jail.RootSpec.from_json(config.root) if config.root else None
    pid_namespace = bool(config.namespaces & namespaces.CLONE_NEWPID)
    try:
        os.closerange(3, channel.fileno())
        os.closerange(channel.fileno() + 1, 1 << 20)
        os.setsid()
        # Analyses yield the CPU to the bot: a saturated host still acknowledges chat
        # events at once, and a job only runs slower while the bot has work.
        os.nice(JOB_NICENESS)
        _join_cgroups(cgroup_files)
        namespaces.enter(config.namespaces)
        if pid_namespace:
            prepare = (lambda: jail.build_root(root)) if root else None
            supervisor.split(prepare, close_in_supervisors=(channel.fileno(),))
        elif root:
            jail.build_root(root)
        protocol.send(channel, {"ready": True})
        message, fds = protocol.receive(channel, protocol.MAX_FDS)
        if message is None:
            os._exit(0)  # the zygote is shutting down
        request = JobRequest.from_message(message)
        channel.close()
        _arrange_descriptors(*fds[:3])
        if root:
            jail.enter(root, fds[3], sorted(request.inputs.items()), mount_proc=pid_namespace)
        os.closerange(EVENTS_FD + 1, 1 << 20)
        _isolate(request)
        code = _run_script(request)
    except BaseException as exc:
        _report_setup_failure(exc, channel)
    finally:
        os._exit(code)


def _arrange_descriptors(stdout: int, stderr: int, events: int) -> None:
    """stdin /dev/null, stdout, stderr, events on 3. The caller closes everything
    above 3 once the work dir is mounted, so the job holds nothing of the zygote's."""
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(events, EVENTS_FD)
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


def _run_script(request: JobRequest) -> int:
    script = request.script
    sys.dont_write_bytecode = True  # no .pyc files in the work dir
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # Each printed line reaches the host as it is printed.
            reconfigure(line_buffering=True)
    runtime.connect(
        open(EVENTS_FD, "w", encoding="utf-8", buffering=1, closefd=True),  # noqa: SIM115
        runtime.Room(
            request.memory_bytes,
            request.workdir_bytes,
            request.workdir_in_memory,
            request.spill_bytes,
            request.max_processes,
        ),
    )
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


def _report_setup_failure(exc: BaseException, channel: socket.socket) -> None:
    message = f"{SandboxSetupError.__name__}: isolating the job failed: {exc}"
    # Before the job arrives the zygote hears it (and tells the host); after, the
    # program's stderr does.
    with contextlib.suppress(OSError):
        protocol.send(channel, {"error": message})
    with contextlib.suppress(OSError):
        os.write(2, (message + "\n").encode())
