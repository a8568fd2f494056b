"""`threadlab doctor` reports every sandbox layer with its real state on this host."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sandbox import memory, namespaces
from sandbox.isolation import Isolation, resolve

THREADLAB = Path(sys.executable).with_name("threadlab")


def test_doctor_lists_every_layer_with_this_hosts_state() -> None:
    proc = subprocess.run(
        [str(THREADLAB), "doctor", "--json"], capture_output=True, text=True, timeout=60, check=True
    )
    layers = {layer["name"]: layer for layer in json.loads(proc.stdout)}
    for name in ("network namespace", "PID namespace", "Landlock", "warm zygote"):
        assert name in layers
    got = resolve(Isolation())
    assert (layers["read-only root, hidden bot files"]["state"] == "active") is got.jail
    assert (layers["Landlock"]["state"] == "active") is got.landlock
    assert (layers["seccomp filter, no_new_privs"]["state"] == "active") is got.seccomp
    assert (layers["untrusted code"]["state"] == "active") is got.hides_host_files
    netns = bool(namespaces.usable_flags() & namespaces.CLONE_NEWNET)
    assert (layers["network namespace"]["state"] == "active") is netns
    pidns = bool(namespaces.usable_flags() & namespaces.CLONE_NEWPID)
    assert (layers["PID namespace"]["state"] == "active") is pidns
    cgroup_memory = memory.memory_limit_mechanism() != "rlimit"
    assert (layers["memory limit"]["state"] == "active") is cgroup_memory
    assert {layer["state"] for layer in layers.values()} <= {
        "active", "fallback", "unavailable", "off",
    }  # fmt: skip
