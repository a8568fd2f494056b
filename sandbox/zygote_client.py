"""The host's side of the zygote: start it, hand it jobs, follow each job to its end.

`ZygoteProcess` starts `python -I -m sandbox.zygote` with an empty environment and no
descriptor of the host's but its control socket, waits until its imports are done, and
restarts it when it died. `start_job` returns a `RemoteChild`: the job's pipes and the
calls the executor needs to watch, kill and reap it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import protocol
from sandbox.cgroups import JobCgroup
from sandbox.errors import SandboxError, SandboxSetupFailed

log = logging.getLogger(__name__)

# Importing pandas, matplotlib and DuckDB takes a second or two; far longer means the
# zygote is stuck, and the bot should say so rather than hang.
_READY_TIMEOUT_S = 120.0


class ZygoteGone(SandboxError):
    """The zygote died or refused the job."""


@dataclass
class ZygoteInfo:
    pid: int
    missing: list[str]  # preloaded modules it could not import
    started_in_s: float


class ZygoteProcess:
    """One warm zygote, started on first use; thread-safe."""

    def __init__(
        self,
        python: str,
        environment: Callable[[], dict[str, str]],
        config: Callable[[], protocol.ZygoteConfig],
        cwd: Path,
    ) -> None:
        self.python = python
        # Both called at each start: the zygote's whole environment, and its workers'.
        self._environment = environment
        self._config = config
        self._cwd = cwd
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self.info: ZygoteInfo | None = None

    @property
    def running(self) -> bool:
        """Started and still alive; read without the lock, so a probe never waits
        behind a job hand-over or a start that takes seconds."""
        proc, info = self._proc, self.info
        return proc is not None and info is not None and proc.poll() is None

    def ensure_started(self) -> ZygoteInfo:
        with self._lock:
            return self._ensure_started()

    def _ensure_started(self) -> ZygoteInfo:
        if self._proc is not None and self._proc.poll() is None and self.info is not None:
            return self.info
        self._stop()
        self._cwd.mkdir(parents=True, exist_ok=True)
        host_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                [
                    self.python,
                    "-I",
                    "-m",
                    "sandbox.zygote",
                    "--control-fd",
                    str(zygote_end.fileno()),
                    "--config",
                    self._config().to_json(),
                ],
                env=self._environment(),
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                close_fds=True,
                pass_fds=(zygote_end.fileno(),),
            )
        finally:
            zygote_end.close()
        host_end.settimeout(_READY_TIMEOUT_S)
        try:
            ready, _ = protocol.receive(host_end)
        except (OSError, ValueError) as exc:
            ready = None
            log.warning("the sandbox zygote did not report ready: %s", exc)
        if ready is None or not ready.get("ready"):
            host_end.close()
            proc.kill()
            proc.wait()
            raise SandboxSetupFailed(
                "the sandbox executor could not start (is the threadlab package installed "
                "for this interpreter?)"
            )
        host_end.settimeout(None)
        self._proc, self._control = proc, host_end
        self.info = ZygoteInfo(
            int(ready["pid"]), list(ready.get("missing", [])), time.monotonic() - started
        )
        if self.info.missing:
            log.warning("the sandbox zygote could not preload: %s", ", ".join(self.info.missing))
        return self.info

    def start_job(
        self,
        request: protocol.JobRequest,
        stdout: int,
        stderr: int,
        events: int,
        work_tree: int | None,
    ) -> RemoteChild:
        """Hands the job to the zygote; returns once a warm worker has taken it."""
        fds = [stdout, stderr, events, *([work_tree] if work_tree is not None else [])]
        host_reply, zygote_reply = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self._lock:
                for attempt in (1, 2):
                    self._ensure_started()
                    assert self._control is not None
                    try:
                        protocol.send(
                            self._control,
                            request.to_message(),
                            [zygote_reply.fileno(), *fds],
                        )
                        break
                    except OSError as exc:
                        if attempt == 2:
                            raise ZygoteGone("the sandbox executor stopped accepting jobs") from exc
                        self._stop()  # it died since the last job: start a new one
        finally:
            zygote_reply.close()
        message, _ = protocol.receive(host_reply)
        if message is None or "pid" not in message:
            host_reply.close()
            reason = (message or {}).get("error", "it closed the connection")
            raise ZygoteGone(f"the sandbox executor could not start the job: {reason}")
        return RemoteChild(
            int(message["pid"]), host_reply, JobCgroup.from_json(message.get("cgroup") or {})
        )

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote exits at end of file, killing its jobs
            self._control = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        self.info = None

    def stop(self) -> None:
        with self._lock:
            self._stop()


@dataclass
class RemoteChild:
    """A job process forked by the zygote: the leader of its own process group."""

    pid: int
    reply: socket.socket
    cgroup: JobCgroup
    _exited: bool = False
    _pending: list[dict[str, object]] = field(default_factory=list)

    @property
    def wake_fd(self) -> int:
        """Readable when the zygote has news of this job (it exited)."""
        return self.reply.fileno()

    def exited(self) -> bool:
        """Whether the job process exited (not yet reaped: its ids stay taken)."""
        if self._exited:
            return True
        while True:
            try:
                message, _ = protocol.receive_nowait(self.reply)
            except BlockingIOError:
                return False
            if message is None or message.get("exited"):
                self._exited = True  # the zygote's end of file also means it is gone
                return True
            self._pending.append(message)

    def kill_everything(self) -> bool:
        """SIGKILLs the process group, then everything in the cgroup (which also holds
        processes that left the group with setsid); True if the cgroup is known empty."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if not self.cgroup.dirs:
            return False
        return self.cgroup.kill_all()

    def reap(self) -> tuple[int, float, int]:
        """(exit code, CPU seconds, peak RSS bytes); the exit code is negative for a
        signal, as in subprocess. Waits for the job to end."""
        while not self.exited():
            protocol.wait_readable(self.reply)
        with contextlib.suppress(OSError):
            protocol.send(self.reply, {"reap": True})
        message, _ = protocol.receive(self.reply)
        if message is None or "status" not in message:
            raise ZygoteGone("the sandbox executor stopped while the job ran")
        code = os.waitstatus_to_exitcode(int(message["status"]))
        return code, float(message["cpu_s"]), int(message["max_rss"])

    def close(self) -> None:
        self.reply.close()
