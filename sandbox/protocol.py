"""What the host and the zygote say to each other: JSON messages on SOCK_SEQPACKET.

The control socket carries job requests, each with its descriptors: the job's own
reply socket, the write ends of its stdout, stderr and event pipes, and (for a jailed
job) its work dir as a detached mount tree. The zygote hands the request to a warm
worker and says {"pid": N, "cgroup": {...}} on the reply socket, then {"exited": true}
when the job ended; the host then kills what is left, asks {"reap": true}, and gets
{"status": wait status, "cpu_s": ..., "max_rss": ...}. The zygote reaps only when
asked, so the job's process group id stays valid (not reusable by another process)
for as long as the host may still signal it. {"error": ...} means the job never ran.
"""

from __future__ import annotations

import json
import select
import socket
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE = 1024 * 1024
MAX_FDS = 5  # reply socket, stdout, stderr, events, work dir tree


@dataclass(frozen=True)
class JobRequest:
    """Everything a warm worker needs to run one job; plain data."""

    script: str  # relative to cwd
    cwd: str  # as the job sees it (inside the jail: /job)
    env: dict[str, str]
    rlimits: list[tuple[int, int, int]]
    memory_bytes: int  # written to the worker's cgroup before the job starts
    max_processes: int
    # name in the work dir -> host file, bound read-only in the jail
    inputs: dict[str, str] = field(default_factory=dict)
    uid: int | None = None  # drop to this uid:gid (only when the zygote is root)
    gid: int | None = None
    landlock_read_only: list[str] = field(default_factory=list)
    landlock_read_write: list[str] = field(default_factory=list)
    landlock: bool = False
    seccomp: bool = False
    # What the program's engines are told about their room (sandbox.runtime): the work
    # dir's size setting (a tmpfs quota where one is mounted), and whether it is a tmpfs,
    # whose pages count as the job's memory.
    workdir_bytes: int | None = None
    workdir_in_memory: bool = False
    spill_bytes: int | None = None  # the disk behind the work dir's .spill dir, if any

    def to_message(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> JobRequest:
        raw = dict(message)
        raw["rlimits"] = [tuple(r) for r in raw["rlimits"]]
        return cls(**raw)


@dataclass(frozen=True)
class ZygoteConfig:
    """How the zygote prepares its warm workers; given once, at its start."""

    workers: int  # warm workers kept ready
    namespaces: int  # CLONE_NEW* flags each worker unshares
    root: dict[str, Any] | None  # a jail.RootSpec as JSON, or None for no jail
    use_cgroups: bool

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> ZygoteConfig:
        return cls(**json.loads(text))


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.send(data)


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """One message and its descriptors; (None, []) at end of file."""
    if max_fds:
        data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, max_fds)
    else:
        data, fds = sock.recv(MAX_MESSAGE), []
    return _decode(data), fds


def receive_nowait(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """Like `receive`; raises BlockingIOError when no message is waiting."""
    return _decode(sock.recv(MAX_MESSAGE, socket.MSG_DONTWAIT)), []


def wait_readable(sock: socket.socket, timeout: float | None = None) -> bool:
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)


def _decode(data: bytes) -> dict[str, Any] | None:
    if not data:
        return None
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("a protocol message must be a JSON object")
    return message
