"""The job's system-call filter: what a filtered process cannot do, and what still works.

The filter cannot be removed once loaded, so each test forks: the child installs it, tries
one thing and reports by exit code; the parent asserts. Most children exit with the
errno their call failed with (0 when it succeeded), so a failure message shows which.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox import seccomp_filter

# Exit code of a child that raised where it should not have (its traceback is printed
# to the captured stderr). No errno is this large.
CRASHED = 250

needs_seccomp = pytest.mark.skipif(
    not seccomp_filter.available(),
    reason="seccomp filters unavailable here (no libseccomp.so.2 or kernel support)",
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWUSER = 0x10000000
CLONE_NEWUTS = 0x04000000


def in_filtered_child(fn: Callable[[], int], before: Callable[[], None] | None = None) -> int:
    """Forks; the child runs `before`, installs the filter, runs `fn` and exits with what
    `fn` returns. Returns the child's exit code (negative: the signal that killed it)."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest, whatever happens
        code = CRASHED
        try:
            if before is not None:
                before()
            seccomp_filter.install()
            code = fn()
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def syscall_number(name: str) -> int:
    """The number of system call `name` on this machine (libseccomp knows the table)."""
    import pyseccomp  # loaded already by sandbox.seccomp_filter wherever tests use it

    return int(pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name))


def syscall_errno(name: str, *args: int) -> int:
    """Makes system call `name` directly; 0 if it succeeded, else its errno."""
    result = _libc.syscall(ctypes.c_long(syscall_number(name)), *(ctypes.c_long(a) for a in args))
    return ctypes.get_errno() if result == -1 else 0


def oserror_errno(call: Callable[[], object]) -> int:
    """Runs `call`; 0 if it succeeded, else the errno of the OSError it raised."""
    try:
        call()
    except OSError as exc:
        return exc.errno or CRASHED
    return 0


# What a filtered process cannot do.


@needs_seccomp
def test_cannot_create_an_inet_socket() -> None:
    assert in_filtered_child(lambda: oserror_errno(socket.socket)) == errno.EPERM


@needs_seccomp
def test_cannot_create_a_unix_socket() -> None:
    def unix_socket() -> int:
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        except PermissionError:
            return 0
        return 1

    assert in_filtered_child(unix_socket) == 0


@needs_seccomp
def test_cannot_unshare() -> None:
    # A new user namespace needs no privilege, so without the filter this would succeed
    # for any user.
    def unshare() -> int:
        return 0 if _libc.unshare(CLONE_NEWUSER) == 0 else ctypes.get_errno()

    assert in_filtered_child(unshare) == errno.EPERM


@needs_seccomp
def test_cannot_mount() -> None:
    # The target does not exist: unfiltered root gets ENOENT, so EPERM is the filter's.
    def mount() -> int:
        result = _libc.mount(b"none", b"/nonexistent-seccomp-test", b"tmpfs", 0, None)
        return 0 if result == 0 else ctypes.get_errno()

    assert in_filtered_child(mount) == errno.EPERM


@needs_seccomp
def test_cannot_ptrace() -> None:
    ptrace_traceme = 0
    assert in_filtered_child(lambda: syscall_errno("ptrace", ptrace_traceme, 0, 0, 0)) == (
        errno.EPERM
    )


@needs_seccomp
def test_cannot_setsid() -> None:
    # A forked child leads no process group, so unfiltered setsid would succeed.
    assert in_filtered_child(lambda: oserror_errno(os.setsid)) == errno.EPERM


@needs_seccomp
def test_cannot_create_namespaces_through_clone() -> None:
    def clone_into_new_user_namespace() -> int:
        flags = CLONE_NEWUSER | CLONE_NEWUTS | signal.SIGCHLD
        pid = _libc.syscall(
            ctypes.c_long(syscall_number("clone")), ctypes.c_long(flags), 0, 0, 0, 0
        )
        if pid == 0:  # the new process, had the filter let it through
            os._exit(0)
        if pid > 0:
            os.waitpid(pid, 0)
            return 0
        return ctypes.get_errno()

    assert in_filtered_child(clone_into_new_user_namespace) == errno.EPERM


@needs_seccomp
def test_cannot_use_clone3_so_glibc_falls_back_to_clone() -> None:
    # Unfiltered, a null argument of size 0 gets EINVAL.
    assert in_filtered_child(lambda: syscall_errno("clone3", 0, 0)) == errno.ENOSYS


@needs_seccomp
def test_cannot_io_uring_setup() -> None:
    # Unfiltered, a null params pointer gets EFAULT.
    assert in_filtered_child(lambda: syscall_errno("io_uring_setup", 1, 0)) == errno.EPERM


@needs_seccomp
def test_cannot_bpf() -> None:
    bpf_map_create = 0
    assert in_filtered_child(lambda: syscall_errno("bpf", bpf_map_create, 0, 0)) == errno.EPERM


@needs_seccomp
def test_cannot_change_personality_but_can_query_it() -> None:
    addr_no_randomize = 0x0040000

    def personality() -> int:
        if syscall_errno("personality", 0xFFFFFFFF) != 0:
            return 1
        return syscall_errno("personality", addr_no_randomize)

    assert in_filtered_child(personality) == errno.EPERM


@needs_seccomp
@pytest.mark.skipif(platform.machine() != "x86_64", reason="the x32 ABI exists on x86-64 only")
def test_cannot_get_around_the_filter_through_the_x32_abi() -> None:
    # socket() through the x32 entry point: another architecture, so the process is killed.
    x32_socket = 0x40000000 | 41
    code = in_filtered_child(
        lambda: 0 if _libc.syscall(x32_socket, socket.AF_INET, socket.SOCK_STREAM, 0) < 0 else 1
    )
    assert code == -signal.SIGSYS


# What still works under the filter.


@needs_seccomp
def test_fork_and_waitpid_work() -> None:
    def fork() -> int:
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        return 0 if os.waitstatus_to_exitcode(status) == 7 else 1

    assert in_filtered_child(fork) == 0


@needs_seccomp
def test_threads_work() -> None:
    def threads() -> int:
        results: list[int] = []
        workers = [threading.Thread(target=results.append, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return 0 if sorted(results) == [0, 1, 2, 3] else 1

    assert in_filtered_child(threads) == 0


@needs_seccomp
def test_subprocess_works() -> None:
    assert in_filtered_child(lambda: subprocess.run(["/bin/true"], check=False).returncode) == 0


@needs_seccomp
def test_socketpair_and_asyncio_work() -> None:
    def pair_and_loop() -> int:
        import asyncio

        left, right = socket.socketpair()
        left.sendall(b"x")
        if right.recv(1) != b"x":
            return 1
        return asyncio.run(asyncio.sleep(0, result=0))

    assert in_filtered_child(pair_and_loop) == 0


@needs_seccomp
def test_user_lookup_works_without_the_nscd_socket() -> None:
    # glibc tries nscd's unix socket first; the EPERM must send it to /etc/passwd.
    def lookup() -> int:
        import pwd

        return 0 if pwd.getpwuid(0).pw_name == "root" else 1

    assert in_filtered_child(lookup) == 0


@needs_seccomp
def test_files_can_be_written_and_read(tmp_path: Path) -> None:
    target = tmp_path / "data.txt"

    def write_and_read() -> int:
        target.write_text("1,2,3\n", encoding="utf-8")
        return 0 if target.read_text(encoding="utf-8") == "1,2,3\n" else 1

    assert in_filtered_child(write_and_read) == 0


@needs_seccomp
def test_numpy_and_pandas_work() -> None:
    def analysis() -> int:
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame({"city": ["a", "b", "a"], "sales": np.array([1.0, 2.0, 3.0])})
        totals = frame.groupby("city")["sales"].sum()
        return 0 if totals.to_dict() == {"a": 4.0, "b": 2.0} else 1

    assert in_filtered_child(analysis) == 0


@needs_seccomp
def test_no_new_privs_and_the_filter_show_in_proc_status() -> None:
    def status() -> int:
        text = Path("/proc/self/status").read_text(encoding="utf-8")
        return 0 if "NoNewPrivs:\t1\n" in text and "Seccomp:\t2\n" in text else 1

    assert in_filtered_child(status) == 0


# Installing.


@needs_seccomp
def test_calls_unknown_to_libseccomp_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp_filter, "DENIED", (*seccomp_filter.DENIED, "no_such_call"))
    assert in_filtered_child(lambda: oserror_errno(socket.socket)) == errno.EPERM


@needs_seccomp
def test_threads_started_before_install_are_filtered_too() -> None:
    go = threading.Event()
    seen: list[int] = []

    def worker() -> None:
        go.wait()
        seen.append(oserror_errno(socket.socket))

    def start_thread() -> None:
        threading.Thread(target=worker, daemon=True).start()

    def release_thread() -> int:
        go.set()
        for thread in threading.enumerate():
            if thread is not threading.current_thread():
                thread.join()
        return seen[0]

    assert in_filtered_child(release_thread, before=start_thread) == errno.EPERM


@needs_seccomp
@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")
def test_installs_after_the_uid_drop() -> None:
    # The job installs the filter as nobody: no_new_privs is what lets it do so.
    def drop() -> None:
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)

    assert in_filtered_child(lambda: oserror_errno(socket.socket), before=drop) == errno.EPERM


def test_install_refuses_where_seccomp_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp_filter, "available", lambda: False)
    with pytest.raises(seccomp_filter.SeccompUnavailable):
        seccomp_filter.install()


def test_deny_list_has_no_duplicates_and_keeps_socketpair() -> None:
    assert len(set(seccomp_filter.DENIED)) == len(seccomp_filter.DENIED)
    assert "socket" in seccomp_filter.DENIED
    assert "socketpair" not in seccomp_filter.DENIED
