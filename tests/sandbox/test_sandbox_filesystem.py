"""What a run cannot do with files, users and devices: the jail's specification.

Each test is named for what the job cannot do, and runs the real sandbox. The jail
(a minimal read-only root) needs root and a mount namespace; where the host has
neither, these tests skip and `threadlab doctor` says the same.
"""

from __future__ import annotations

import os
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import privileges
from sandbox.errors import SandboxRefused
from sandbox.isolation import Isolation, resolve
from sandbox.sandbox_executor import SandboxExecutor
from tests.sandbox.helpers import MIB, run_code

LAYERS = resolve(Isolation())
needs_jail = pytest.mark.skipif(not LAYERS.jail, reason="no mount namespace jail (needs root)")
needs_tmpfs = pytest.mark.skipif(
    not LAYERS.workdir_tmpfs, reason="mounting a tmpfs work dir needs root"
)
needs_uid_drop = pytest.mark.skipif(
    LAYERS.uid is None, reason="only a root bot drops runs to another uid"
)
needs_seccomp = pytest.mark.skipif(not LAYERS.seccomp, reason="no seccomp on this host")


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture
def secret(tmp_path: Path) -> Iterator[Path]:
    """A file on the host that no job may read (readable by everyone, so that only the
    jail, not file permissions, keeps it out of reach)."""
    path = tmp_path / "bot-secret.env"
    path.write_text("SLACK_BOT_TOKEN=xoxb-do-not-leak\n")
    path.chmod(0o644)
    tmp_path.chmod(0o755)
    yield path


def _reads(executor: SandboxExecutor, attempt: str) -> str:
    job = code(f"""
        try:
            {attempt}
            print("read:" + data)
        except OSError as exc:
            print("refused:" + type(exc).__name__)
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    return result.stdout.strip()


@needs_jail
def test_cant_read_a_file_outside_the_work_dir(executor: SandboxExecutor, secret: Path) -> None:
    out = _reads(executor, f"data = open({str(secret)!r}).read()")
    assert out.startswith("refused:") and "xoxb" not in out


@needs_jail
def test_cant_read_outside_through_dotdot(executor: SandboxExecutor, secret: Path) -> None:
    climb = "../" * 20 + str(secret).lstrip("/")
    out = _reads(executor, f"data = open({climb!r}).read()")
    assert out.startswith("refused:")


@needs_jail
def test_cant_read_outside_through_a_symlink(executor: SandboxExecutor, secret: Path) -> None:
    attempt = f"os.symlink({str(secret)!r}, 'link.txt'); data = open('link.txt').read()"
    out = _reads(executor, "import os; " + attempt)
    assert out.startswith("refused:")


@needs_jail
def test_cant_reach_outside_through_a_hard_link(executor: SandboxExecutor, secret: Path) -> None:
    attempt = f"os.link({str(secret)!r}, 'link.txt'); data = open('link.txt').read()"
    out = _reads(executor, "import os; " + attempt)
    assert out.startswith("refused:")


@needs_jail
def test_cant_see_the_bot_code_or_its_data_dir(executor: SandboxExecutor) -> None:
    checkout = Path(__file__).resolve().parents[2]  # holds the bot's code and .env
    job = code(f"""
        import importlib.util, os
        print(importlib.util.find_spec("bot"), importlib.util.find_spec("handlers"))
        print(os.path.exists({str(executor.work_root)!r}))
        print(os.path.exists({str(checkout / "pyproject.toml")!r}))
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    assert result.stdout.split() == ["None", "None", "False", "False"]


@needs_jail
@pytest.mark.parametrize("place", ["/tmp", "/dev/shm", "/var/tmp", "/usr", "/etc", "/"])
def test_cant_write_outside_the_work_dir(executor: SandboxExecutor, place: str) -> None:
    job = code(f"""
        try:
            open({place!r}.rstrip("/") + "/planted.txt", "w").write("x")
            print("written")
        except OSError as exc:
            print("refused", type(exc).__name__)
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    assert result.stdout.startswith("refused")


@needs_jail
def test_cant_change_its_inputs(executor: SandboxExecutor, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,3\n")
    job = code("""
        print(open("sales.csv").read(), end="")
        try:
            open("sales.csv", "w").write("gone")
        except OSError as exc:
            print("refused", type(exc).__name__)
    """)
    result = run_code(executor, job, inputs={"sales.csv": source})
    assert result.status == "ok", result.stderr
    assert result.stdout.startswith("region,amount\nnorth,3\nrefused")
    assert source.read_text() == "region,amount\nnorth,3\n"


@needs_jail
def test_cant_connect_to_a_unix_socket_of_the_host(
    executor: SandboxExecutor, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sock"
    tmp_path.chmod(0o755)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o777)
    listener.listen()
    listener.settimeout(0.5)
    try:
        job = code(f"""
            import socket
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect({str(path)!r})
                print("connected")
            except OSError as exc:
                print("refused", type(exc).__name__)
        """)
        result = run_code(executor, job)
        assert result.status == "ok", result.stderr
        assert result.stdout.startswith("refused")
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


@needs_uid_drop
def test_cant_keep_root(executor: SandboxExecutor) -> None:
    job = code("""
        import os
        print(os.getresuid(), os.getresgid(), os.getgroups())
        status = open("/proc/self/status").read()
        print([line for line in status.splitlines() if line.startswith("NoNewPrivs")])
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    uid, gid = privileges.DEFAULT_UID, privileges.DEFAULT_GID
    first, second = result.stdout.splitlines()
    assert first == f"({uid}, {uid}, {uid}) ({gid}, {gid}, {gid}) []"
    assert second == "['NoNewPrivs:\\t1']"


@needs_seccomp
def test_cant_escape_through_forbidden_system_calls(executor: SandboxExecutor) -> None:
    job = code("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        results = []
        for name, call in [
            ("setsid", lambda: os.setsid()),
            ("unshare", lambda: libc.unshare(0x10000000) == 0 or os.strerror(ctypes.get_errno())),
            # PTRACE_ATTACH to its parent (the namespace's init, the only one it sees)
            ("ptrace", lambda: libc.ptrace(16, os.getppid(), 0, 0) == 0
                or os.strerror(ctypes.get_errno())),
        ]:
            try:
                results.append((name, call()))
            except OSError as exc:
                results.append((name, exc.strerror))
        print(results)
        status = open("/proc/self/status").read().splitlines()
        print([line for line in status if line.startswith("Seccomp:")])
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    first, second = result.stdout.splitlines()
    assert first == (
        "[('setsid', 'Operation not permitted'), ('unshare', 'Operation not permitted'), "
        "('ptrace', 'Operation not permitted')]"
    )
    assert second == "['Seccomp:\\t2']"


@needs_tmpfs
def test_disk_fill_stopped_at_the_work_dir_limit(executor: SandboxExecutor) -> None:
    job = code("""
        block = b"x" * (1024 * 1024)
        with open("fill.bin", "wb") as f:
            while True:
                f.write(block)
                f.flush()
    """)
    result = run_code(executor, job, workdir_bytes=8 * MIB, file_size_bytes=64 * MIB)
    assert result.status == "error"
    assert "filled its work dir (limit 8 MB" in result.message


_WRITE_SPILL = """
    import os
    block = b"x" * (1024 * 1024)
    with open(".spill/data.bin", "wb") as f:
        for _ in range({mb}):
            f.write(block)
    print("wrote", os.path.getsize(".spill/data.bin") // (1024 * 1024), "MB")
"""


@needs_tmpfs
def test_spilled_data_is_disk_not_memory_charged_to_the_run(executor: SandboxExecutor) -> None:
    # 200 MB into the work dir itself is memory (tmpfs) and breaks a 128 MB limit...
    in_memory = run_code(
        executor,
        code(_WRITE_SPILL.replace(".spill/", "").format(mb=200)),
        memory_bytes=128 * MIB,
        workdir_bytes=512 * MIB,
        file_size_bytes=512 * MIB,
    )
    assert in_memory.status == "out_of_memory"
    # ...while the same 200 MB in .spill lands on disk.
    on_disk = run_code(
        executor,
        code(_WRITE_SPILL.format(mb=200)),
        memory_bytes=128 * MIB,
        file_size_bytes=512 * MIB,
    )
    assert on_disk.ok, on_disk.stderr
    assert "wrote 200 MB" in on_disk.stdout
    runs = executor.work_root / "runs"
    assert not any(runs.glob("spill-*")) and not any(runs.glob("run-*"))  # both removed


@needs_tmpfs
def test_spill_fill_stopped_at_the_spill_limit(executor: SandboxExecutor) -> None:
    result = run_code(
        executor, code(_WRITE_SPILL.format(mb=400)), spill_bytes=16 * MIB, file_size_bytes=512 * MIB
    )
    assert result.status == "error"
    assert "it may spill to disk" in result.message and "16 MB" in result.message


@needs_tmpfs
def test_inode_exhaustion_stopped_at_the_work_dir_limit(executor: SandboxExecutor) -> None:
    job = code("""
        import os
        os.makedirs("many", exist_ok=True)
        for i in range(100000):
            open(f"many/{i}", "w").close()
    """)
    result = run_code(executor, job, workdir_files=200)
    assert result.status == "error"
    assert "200 files" in result.message


@needs_tmpfs
def test_work_dir_is_its_own_small_filesystem(executor: SandboxExecutor) -> None:
    job = "import os\ns = os.statvfs('.')\nprint(s.f_blocks * s.f_frsize, s.f_files)"
    result = run_code(executor, job, workdir_bytes=32 * MIB, workdir_files=500)
    assert result.status == "ok", result.stderr
    size, files = map(int, result.stdout.split())
    assert size == 32 * MIB and files == 500


def test_can_write_read_back_and_import_its_own_scratch_files(executor: SandboxExecutor) -> None:
    job = code("""
        import json, tempfile, pathlib
        pathlib.Path("notes").mkdir()
        pathlib.Path("notes/a.json").write_text(json.dumps({"n": 3}))
        with tempfile.NamedTemporaryFile("w", delete=False) as t:
            t.write("scratch")
        print(json.loads(open("notes/a.json").read())["n"], open(t.name).read())
    """)
    result = run_code(executor, job)
    assert result.status == "ok", result.stderr
    assert result.stdout.strip() == "3 scratch"


def test_jobs_draw_different_random_numbers(executor: SandboxExecutor) -> None:
    # Every job is a fork of one zygote: without a reseed they would share NumPy's state.
    job = "import numpy, random\nprint(numpy.random.rand(), random.random())"
    first = run_code(executor, job)
    second = run_code(executor, job)
    assert first.status == second.status == "ok"
    a, b = first.stdout.split(), second.stdout.split()
    assert a[0] != b[0] and a[1] != b[1]


def test_cant_see_host_paths_in_its_environment(executor: SandboxExecutor) -> None:
    result = run_code(executor, "import os\nprint(os.getcwd(), os.environ['HOME'])")
    assert result.status == "ok", result.stderr
    cwd, home = result.stdout.split()
    assert str(executor.work_root) not in cwd + home or not LAYERS.jail
    assert os.path.basename(home) == ".home"


def test_refuses_to_run_where_nothing_hides_the_hosts_files(tmp_path: Path) -> None:
    bare = SandboxExecutor(tmp_path / "bare", isolation=Isolation(namespaces=False, landlock=False))
    assert not bare.layers.hides_host_files
    with pytest.raises(SandboxRefused, match="THREADLAB_SANDBOX_ALLOW_UNISOLATED"):
        run_code(bare, "print('ran')")


def test_runs_unisolated_only_when_an_operator_allows_it(tmp_path: Path) -> None:
    allowed = SandboxExecutor(
        tmp_path / "allowed",
        isolation=Isolation(namespaces=False, landlock=False, allow_unisolated=True),
    )
    try:
        result = run_code(allowed, "print('ran')")
    finally:
        allowed.close()
    assert result.status == "ok", result.stderr
    assert result.stdout == "ran\n"
