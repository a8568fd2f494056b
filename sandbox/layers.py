"""What isolation this host gives a run, layer by layer, for `threadlab doctor` and logs.

Each layer of ../shared/SANDBOX.md is listed, including those not built yet, so an
operator sees the whole picture rather than only what works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sandbox import memory, namespaces

LayerState = Literal["active", "fallback", "unavailable", "not built"]


@dataclass(frozen=True)
class Layer:
    name: str
    state: LayerState
    detail: str


def host_layers() -> list[Layer]:
    """Every layer, in the order a run passes through them."""
    ns = namespaces.describe(namespaces.usable_flags())
    mem = memory.memory_limit_mechanism()
    mem_detail = (
        "RLIMIT_DATA: no cgroup memory controller is writable"
        if mem == "rlimit"
        else f"{mem}, swap 0"
    )
    procs = memory.process_limit_mechanism()
    return [
        Layer("fresh process per run", "active", "a new child process and work dir per run"),
        Layer("empty environment", "active", "no tokens or keys; PATH, HOME, TMPDIR, LANG only"),
        Layer("rlimits", "active", "CPU time, file size, open files, no core dumps"),
        Layer(
            "memory limit",
            "fallback" if mem == "rlimit" else "active",
            mem_detail,
        ),
        Layer(
            "process limit",
            "fallback" if procs == "rlimit" else "active",
            "pids cgroup" if procs == "cgroup" else "RLIMIT_NPROC (per uid; ignored for root)",
        ),
        Layer("wall-time watchdog", "active", "kills the whole process group and cgroup"),
        Layer("output and artifact caps", "active", "stdout+stderr cap; regular files only"),
        _namespace_layer("network namespace", ns["network"], "no network, not even 127.0.0.1"),
        _namespace_layer("IPC, UTS namespaces", ns["ipc"] and ns["uts"], "private IPC, hostname"),
        _namespace_layer("PID namespace", ns["pid"], "own /proc: no host process is visible"),
        _namespace_layer("mount namespace", ns["mount"], "mounts stay private to the run"),
        Layer("read-only root, hidden bot files", "not built", "the host's files are readable"),
        Layer("Landlock", "not built", "no filesystem access rules yet"),
        Layer("seccomp filter", "not built", "no system-call filter yet"),
        Layer("unprivileged uid, no_new_privs", "not built", "runs as the bot's own user"),
        Layer("warm zygote", "not built", "each run imports pandas and matplotlib anew (~0.8 s)"),
    ]  # fmt: skip


def _namespace_layer(name: str, usable: bool, effect: str) -> Layer:
    if usable:
        return Layer(name, "active", effect)
    return Layer(name, "unavailable", "this host refuses it (needs root or user namespaces)")
