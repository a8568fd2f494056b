"""What isolation this host gives a run, layer by layer, for `threadlab doctor` and logs.

Each layer of ../shared/SANDBOX.md is listed with what the bot does where the host
lacks it, so an operator sees the whole picture rather than only what works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sandbox import memory, namespaces
from sandbox.isolation import Isolation, Layers, resolve

LayerState = Literal["active", "fallback", "unavailable", "off"]


@dataclass(frozen=True)
class Layer:
    name: str
    state: LayerState
    detail: str


def host_layers(wanted: Isolation, work_root: str | None = None) -> list[Layer]:
    """Every layer, in the order a run passes through them."""
    got = resolve(wanted, work_root)
    ns = namespaces.describe(got.namespace_flags)
    mem = memory.memory_limit_mechanism()
    procs = memory.process_limit_mechanism()
    return [
        Layer("warm zygote", "active", "jobs fork from a process that imported the stack once"),
        Layer("empty environment", "active", "no tokens or keys; PATH, HOME, TMPDIR, LANG only"),
        Layer("rlimits", "active", "CPU time, file size, open files, no core dumps"),
        Layer(
            "memory limit",
            "fallback" if mem == "rlimit" else "active",
            "RLIMIT_DATA: no cgroup memory controller is writable"
            if mem == "rlimit"
            else f"{mem}, swap 0",
        ),
        Layer(
            "process limit",
            "fallback" if procs == "rlimit" else "active",
            "pids cgroup" if procs == "cgroup" else "RLIMIT_NPROC (per uid; ignored for root)",
        ),
        Layer("wall-time watchdog", "active", "kills the whole process group and cgroup"),
        Layer("output and artifact caps", "active", "stdout+stderr cap; regular files only"),
        _namespace("network namespace", wanted, ns["network"], "no network, not even 127.0.0.1"),
        _namespace("IPC, UTS namespaces", wanted, ns["ipc"] and ns["uts"], "private IPC, hostname"),
        _namespace("PID namespace", wanted, ns["pid"], "own /proc: no host process is visible"),
        _namespace("mount namespace", wanted, ns["mount"], "mounts stay private to the run"),
        _jail(wanted, got),
        _layer(
            "size-limited work dir",
            wanted.workdir_tmpfs,
            got.workdir_tmpfs,
            "a tmpfs per run with a size and a file-count limit",
            "needs root to mount; a plain dir, only the file size limit applies",
        ),
        _layer(
            "Landlock",
            wanted.landlock,
            got.landlock,
            "writes only beneath the work dir; TCP and signals scoped where the kernel can",
            "the kernel has no Landlock",
        ),
        _layer(
            "unprivileged uid",
            wanted.drop_to_uid is not None,
            got.uid is not None,
            f"runs as uid {got.uid}, no supplementary groups",
            "runs keep the bot's uid: the bot is not root (so that uid is already "
            "unprivileged), or without the jail the interpreter is out of another uid's reach",
        ),
        _layer(
            "seccomp filter, no_new_privs",
            wanted.seccomp,
            got.seccomp,
            "no sockets, ptrace, mounts, namespaces, io_uring, bpf, setsid",
            "libseccomp is missing or the kernel refuses filters",
        ),
        _policy(wanted, got),
    ]


def _layer(name: str, wanted: bool, got: bool, effect: str, missing: str) -> Layer:
    if not wanted:
        return Layer(name, "off", "turned off by the operator's settings")
    return Layer(name, "active", effect) if got else Layer(name, "unavailable", missing)


def _namespace(name: str, wanted: Isolation, usable: bool, effect: str) -> Layer:
    return _layer(
        name,
        wanted.namespaces,
        usable,
        effect,
        "this host refuses it (needs root or user namespaces)",
    )


def _jail(wanted: Isolation, got: Layers) -> Layer:
    return _layer(
        "read-only root, hidden bot files",
        wanted.jail,
        got.jail,
        "only system, interpreter and work dirs are visible; only the work dir is writable",
        "needs root and a mount namespace",
    )


def _policy(wanted: Isolation, got: Layers) -> Layer:
    """What the bot does with untrusted code on this host."""
    if got.hides_host_files:
        return Layer("untrusted code", "active", "runs: the host's files are out of its reach")
    if wanted.allow_unisolated:
        return Layer(
            "untrusted code",
            "fallback",
            "runs although nothing hides the host's files (allowed by the operator)",
        )
    return Layer(
        "untrusted code",
        "unavailable",
        "refused: neither a mount namespace nor Landlock can hide the bot's files; "
        "THREADLAB_SANDBOX_ALLOW_UNISOLATED=true overrides",
    )
