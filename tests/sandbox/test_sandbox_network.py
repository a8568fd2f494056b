"""A run has no network: not the host's listeners on 127.0.0.1, not name resolution."""

from __future__ import annotations

import socket
import threading

import pytest

from sandbox import namespaces
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import run_code

needs_netns = pytest.mark.skipif(
    not namespaces.usable_flags() & namespaces.CLONE_NEWNET,
    reason="this host does not allow new network namespaces (needs root or user namespaces)",
)


@needs_netns
def test_cant_connect_to_a_listener_on_localhost(executor: SandboxExecutor) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        server.settimeout(10)
        waiter = threading.Thread(target=lambda: accepted.append(server.accept()[0]))
        waiter.start()
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "    print('CONNECTED')\n"
            "except OSError as exc:\n"
            "    print('REFUSED', exc)\n"
        )
        result = run_code(executor, code)
        # Unblock the accept thread whatever happened, then check nobody got through.
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            pass
        waiter.join(timeout=10)
    assert result.status == "ok", result.stderr
    assert "REFUSED" in result.stdout and "CONNECTED" not in result.stdout
    assert len(accepted) == 1  # only the test's own connection arrived


@needs_netns
def test_cant_resolve_names(executor: SandboxExecutor) -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    print('RESOLVED', socket.getaddrinfo('pypi.org', 443))\n"
        "except OSError as exc:\n"
        "    print('NO DNS', exc)\n"
    )
    result = run_code(executor, code)
    assert result.status == "ok", result.stderr
    assert "NO DNS" in result.stdout


@needs_netns
def test_the_only_interface_is_a_down_loopback(executor: SandboxExecutor) -> None:
    # Read from /proc (the seccomp filter forbids the socket if_nameindex would open).
    job = "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))"
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    assert result.stdout.strip() == "['lo']"


def test_namespaces_are_reported_by_name() -> None:
    described = namespaces.describe(namespaces.usable_flags())
    assert set(described) == {"network", "ipc", "uts", "pid", "mount"}
