"""Starting the child: argv, an empty environment, a new session, limits before exec.

The hardening issue replaces this module (a warm zygote forking into namespaces); the
rest of the executor only relies on `Child`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from sandbox import namespaces, rlimits
from sandbox.cgroups import JobCgroup
from sandbox.workdir import HOME_DIR, MPL_DIR, SCRIPT, TMP_DIR, WorkDir

# BLAS and OpenMP start one thread per core by default: with one job per core that
# oversubscribes the host, and each thread counts against the process limit.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def environment(workdir: WorkDir) -> dict[str, str]:
    """The whole environment of a run: nothing is inherited from the host."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir.scratch(HOME_DIR)),
        "TMPDIR": str(workdir.scratch(TMP_DIR)),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir.scratch(MPL_DIR)),
        # For Python processes the program starts; the runner's own interpreter runs
        # with -I, ignores these, and applies them itself.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(dict.fromkeys(_THREAD_VARS, "1"))
    return env


def _child_setup(
    join_files: list[str], chosen: list[rlimits.RLimit], namespace_flags: int
) -> Callable[[], None]:
    # Runs between fork and exec, possibly while other threads of the host hold locks:
    # it only makes system calls on values computed before the fork.
    def setup() -> None:
        for path in join_files:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")  # "0" is the writing process itself
            finally:
                os.close(fd)
        namespaces.enter(namespace_flags)
        rlimits.apply(chosen)

    return setup


@dataclass
class Child:
    """A started run: its process (leader of its own session), pipes and cgroup."""

    proc: subprocess.Popen[bytes]
    events_fd: int  # read end of the event pipe
    pidfd: int | None  # readable once the process exits; None on kernels before 5.3
    cgroup: JobCgroup

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exited(self) -> bool:
        """Whether the process exited, without reaping it: while it is a zombie its
        pid, and so its process group id, cannot be reused by another process."""
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return info is not None

    def kill_everything(self) -> bool:
        """SIGKILLs the process group, then everything in the cgroup (which also holds
        processes that left the group with setsid); True if the cgroup is known empty."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if not self.cgroup.dirs:
            return False
        return self.cgroup.kill_all()

    def reap(self) -> tuple[int, float, int]:
        """Waits for the process: (exit code, CPU seconds, peak RSS bytes). The exit code
        is negative for a signal, as in subprocess."""
        _, status, usage = os.wait4(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = code  # reaped here: Popen must not wait for it again
        return code, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024

    def close(self) -> None:
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        for fd in (self.events_fd, self.pidfd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)


def start(python: str, workdir: WorkDir, chosen: list[rlimits.RLimit], cgroup: JobCgroup) -> Child:
    """Starts `python -I -m sandbox.runner` on the work dir's main.py."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    if write_end <= 2:
        # A host started with a standard stream closed gets 0-2 from pipe2; the child's
        # stdio would then replace the event pipe. Move it above them.
        moved = fcntl.fcntl(write_end, fcntl.F_DUPFD_CLOEXEC, 3)
        os.close(write_end)
        write_end = moved
    flags = namespaces.usable_flags()
    argv = [python, "-I", "-m", "sandbox.runner", "--events-fd", str(write_end)]
    if flags & namespaces.CLONE_NEWPID:
        argv.append("--pid-namespace")
    argv.append(SCRIPT)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=workdir.path,
            env=environment(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            pass_fds=(write_end,),
            start_new_session=True,
            preexec_fn=_child_setup(cgroup.join_files, chosen, flags),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the child holds the only write end now
    pidfd: int | None = None
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(proc.pid)
    return Child(proc, read_end, pidfd, cgroup)
