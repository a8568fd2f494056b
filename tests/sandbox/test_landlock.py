"""Landlock as a job process sees it: each test forks a child that restricts itself to
the dirs the test made, tries one thing and reports the outcome as its exit code."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import landlock

ABI = landlock.abi_version()

NO_LANDLOCK = "this kernel has no Landlock (create_ruleset answers ENOSYS or EOPNOTSUPP)"

# Exit codes beyond any errno value: the child's way of saying what went wrong.
_RESTRICT_FAILED = 250
_NOT_OS_ERROR = 251


@dataclass(frozen=True)
class Dirs:
    ro: Path  # read-only, holds ro/data.txt
    rw: Path  # read-write, empty
    secret: Path  # outside both, holds secret/key.txt

    @property
    def ro_file(self) -> Path:
        return self.ro / "data.txt"

    @property
    def secret_file(self) -> Path:
        return self.secret / "key.txt"


@pytest.fixture
def dirs(tmp_path: Path) -> Dirs:
    """Every test that restricts a child takes this fixture, so it is where they skip."""
    if ABI == 0:
        pytest.skip(NO_LANDLOCK)
    d = Dirs(ro=tmp_path / "ro", rw=tmp_path / "rw", secret=tmp_path / "secret")
    for p in (d.ro, d.rw, d.secret):
        p.mkdir()
    d.ro_file.write_text("public\n")
    d.secret_file.write_text("token\n")
    return d


def run_restricted(
    action: Callable[[], object],
    read_only: Sequence[Path],
    read_write: Sequence[Path],
) -> int:
    """Runs `action` in a forked child after `restrict`. Returns 0 when it succeeded, the
    errno of the OSError it raised, or one of the codes above. Everything the child uses
    must already be imported: after `restrict` it cannot read the interpreter's modules."""
    pid = os.fork()
    if pid == 0:
        code = _NOT_OS_ERROR
        try:
            try:
                landlock.restrict(read_only, read_write)
            except BaseException as exc:
                os.write(2, f"restrict failed: {exc!r}\n".encode())
                code = _RESTRICT_FAILED
            else:
                try:
                    action()
                    code = 0
                except OSError as exc:
                    # The child's stderr lands in pytest's captured output on failure.
                    os.write(2, f"action raised {exc!r}\n".encode())
                    code = exc.errno or _NOT_OS_ERROR
                except BaseException as exc:
                    os.write(2, f"action raised {exc!r}\n".encode())
                    code = _NOT_OS_ERROR
        finally:
            # Never return into pytest from the child, whatever happened above.
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"child died: status {status:#x}"
    return os.waitstatus_to_exitcode(status)


def restricted(d: Dirs, action: Callable[[], object]) -> int:
    return run_restricted(action, [d.ro], [d.rw])


# --- what a restricted process cannot do -------------------------------------------


def test_cannot_read_a_file_outside_the_allowed_paths(dirs: Dirs) -> None:
    assert restricted(dirs, dirs.secret_file.read_text) == errno.EACCES


def test_cannot_list_a_dir_outside_the_allowed_paths(dirs: Dirs) -> None:
    assert restricted(dirs, lambda: os.listdir(dirs.secret)) == errno.EACCES


def test_cannot_create_a_file_outside_the_allowed_paths(dirs: Dirs) -> None:
    assert restricted(dirs, (dirs.secret / "new.txt").touch) == errno.EACCES
    assert not (dirs.secret / "new.txt").exists()


def test_cannot_write_in_the_read_only_dir(dirs: Dirs) -> None:
    assert restricted(dirs, lambda: dirs.ro_file.write_text("changed\n")) == errno.EACCES
    assert dirs.ro_file.read_text() == "public\n"


def test_cannot_create_a_file_in_the_read_only_dir(dirs: Dirs) -> None:
    assert restricted(dirs, (dirs.ro / "new.txt").touch) == errno.EACCES
    assert not (dirs.ro / "new.txt").exists()


def test_cannot_delete_in_the_read_only_dir(dirs: Dirs) -> None:
    assert restricted(dirs, dirs.ro_file.unlink) == errno.EACCES
    assert dirs.ro_file.exists()


def test_cannot_follow_a_symlink_in_the_read_write_dir_to_the_secret(dirs: Dirs) -> None:
    # Rules apply to where a path resolves, not to where the link sits.
    link = dirs.rw / "link.txt"
    link.symlink_to(dirs.secret_file)
    assert restricted(dirs, link.read_text) == errno.EACCES


def test_cannot_hard_link_the_secret_into_the_read_write_dir(dirs: Dirs) -> None:
    # A hard link made *before* restricting would be readable: it is the same inode at a
    # path beneath the read-write dir, and Landlock rules are path-based. That is why the
    # work dir is filled with copies of the inputs, never links. What Landlock does stop
    # is making such a link from inside: the source grants no REFER (and on ABI 1 no
    # cross-directory link is allowed at all), which the kernel reports as EXDEV.
    target = dirs.rw / "key.txt"
    assert restricted(dirs, lambda: os.link(dirs.secret_file, target)) in (
        errno.EXDEV,
        errno.EACCES,
    )
    assert not target.exists()


def test_cannot_move_a_file_from_the_read_only_dir(dirs: Dirs) -> None:
    target = dirs.rw / "data.txt"
    assert restricted(dirs, lambda: os.rename(dirs.ro_file, target)) in (
        errno.EXDEV,
        errno.EACCES,
    )
    assert dirs.ro_file.exists()


def test_cannot_execute_a_program_outside_the_allowed_paths(dirs: Dirs) -> None:
    true = dirs.secret / "true"
    shutil.copy2("/bin/true", true)
    assert run_restricted(
        lambda: subprocess.run([str(true)], check=True), _system_dirs(), [dirs.rw]
    ) == (errno.EACCES)


@pytest.mark.skipif(ABI < 4, reason=f"Landlock ABI {ABI} has no TCP rules (ABI 4+)")
def test_cannot_connect_tcp(dirs: Dirs) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()

        def connect() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.connect(address)

        assert restricted(dirs, connect) == errno.EACCES


@pytest.mark.skipif(ABI < 4, reason=f"Landlock ABI {ABI} has no TCP rules (ABI 4+)")
def test_cannot_bind_tcp(dirs: Dirs) -> None:
    def bind() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))

    assert restricted(dirs, bind) == errno.EACCES


@pytest.mark.skipif(ABI < 6, reason=f"Landlock ABI {ABI} has no scopes (ABI 6+)")
def test_cannot_signal_the_parent(dirs: Dirs) -> None:
    parent = os.getpid()
    assert restricted(dirs, lambda: os.kill(parent, 0)) == errno.EPERM


@pytest.mark.skipif(ABI < 6, reason=f"Landlock ABI {ABI} has no scopes (ABI 6+)")
def test_cannot_connect_to_an_abstract_unix_socket_outside(dirs: Dirs) -> None:
    name = f"\0threadlab-landlock-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(name)
        listener.listen(1)

        def connect() -> None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(name)

        assert restricted(dirs, connect) == errno.EPERM


# --- what it still can do ------------------------------------------------------------


def test_can_read_the_read_only_file_and_list_its_dir(dirs: Dirs) -> None:
    def read() -> None:
        assert dirs.ro_file.read_text() == "public\n"
        assert os.listdir(dirs.ro) == ["data.txt"]

    assert restricted(dirs, read) == 0


def test_can_write_create_rename_and_delete_in_the_read_write_dir(dirs: Dirs) -> None:
    def work() -> None:
        a = dirs.rw / "a.txt"
        a.write_text("one\n")
        with a.open("a") as f:
            f.write("two\n")
        os.truncate(a, 4)
        b = dirs.rw / "b.txt"
        a.rename(b)
        sub = dirs.rw / "sub"
        sub.mkdir()
        if ABI >= 2:  # moving between directories needs REFER
            b = b.rename(sub / "b.txt")
        (dirs.rw / "link").symlink_to(b)
        assert (dirs.rw / "link").read_text() == "one\n"
        (dirs.rw / "link").unlink()
        b.unlink()
        sub.rmdir()
        (dirs.rw / "kept.txt").write_text("kept\n")

    assert restricted(dirs, work) == 0
    assert sorted(os.listdir(dirs.rw)) == ["kept.txt"]


def test_can_read_a_secret_hard_linked_into_the_read_write_dir_before(dirs: Dirs) -> None:
    # Documents the limit described in the hard-link test above: same inode, allowed path.
    os.link(dirs.secret_file, dirs.rw / "key.txt")
    assert restricted(dirs, (dirs.rw / "key.txt").read_text) == 0


def test_file_rules_grant_only_file_rights(dirs: Dirs) -> None:
    # A file given as a path gets the rights that apply to files (a directory right on
    # a file would make the kernel refuse the rule with EINVAL).
    out = dirs.secret / "out.txt"
    out.write_text("")

    def work() -> None:
        out.write_text("written\n")
        assert dirs.ro_file.read_text() == "public\n"

    assert run_restricted(work, [dirs.ro_file], [out]) == 0
    assert out.read_text() == "written\n"
    assert run_restricted(lambda: os.listdir(dirs.secret), [dirs.ro_file], [out]) == errno.EACCES


def test_missing_paths_are_skipped(dirs: Dirs) -> None:
    missing = [dirs.ro / "nope", Path("/nonexistent/threadlab"), dirs.ro_file / "under-a-file"]
    assert run_restricted(dirs.ro_file.read_text, [dirs.ro, *missing], [dirs.rw, *missing]) == 0


def _system_dirs() -> list[Path]:
    """What running a dynamically linked program needs: the binaries, the libraries and
    the loader cache (dirs that are absent, such as /lib32, are skipped by restrict)."""
    return [
        Path(p) for p in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache")
    ]


def test_can_run_a_system_program(dirs: Dirs) -> None:
    assert run_restricted(
        lambda: subprocess.run(["/bin/true"], check=True), _system_dirs(), [dirs.rw]
    ) == (0)


def test_restrict_returns_the_abi(dirs: Dirs) -> None:
    def check() -> None:
        if landlock.restrict([dirs.ro], [dirs.rw]) != ABI:  # a second layer on the first
            raise OSError(errno.EBADE, "wrong ABI")

    assert run_restricted(check, [dirs.ro], [dirs.rw]) == 0


def test_no_landlock_raises_landlock_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(landlock, "abi_version", lambda: 0)
    with pytest.raises(landlock.LandlockUnavailable):
        landlock.restrict([], [])


def test_abi_version_is_cached() -> None:
    assert landlock.abi_version() == ABI
    assert landlock.abi_version.cache_info().hits >= 1
