"""The per-run work dir: the code, copies of the inputs, scratch dirs; removed after."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sandbox import mounts
from sandbox.errors import BadInputName

log = logging.getLogger(__name__)

SCRIPT = "main.py"
# Hidden scratch dirs for HOME, TMPDIR and MPLCONFIGDIR: what the program leaves there
# (caches, temp files) is not an output.
HOME_DIR = ".home"
TMP_DIR = ".tmp"
MPL_DIR = ".mplconfig"
# Where engines spill (DuckDB's temp files). On a tmpfs work dir it is a directory on
# disk bound in, so spilled data is not memory charged to the run.
SPILL_DIR = ".spill"
SCRATCH = frozenset({HOME_DIR, TMP_DIR, MPL_DIR, SPILL_DIR})


@dataclass(frozen=True)
class Quota:
    """A tmpfs holding the work dir: at most this many bytes and files."""

    size_bytes: int
    inodes: int


@dataclass(frozen=True)
class WorkDir:
    path: Path
    input_names: frozenset[str]  # relative POSIX paths of the inputs
    # name -> host file, for inputs bound read-only into a jail (empty when copied)
    bound_inputs: dict[str, Path] = field(default_factory=dict)
    mounted: bool = False  # a tmpfs of its own was mounted on `path`
    spill: Path | None = None  # the disk dir bound onto <path>/.spill, on a tmpfs work dir

    @property
    def script(self) -> Path:
        return self.path / SCRIPT

    def scratch(self, name: str) -> Path:
        return self.path / name


def _safe_name(name: str) -> str:
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts or rel.as_posix() in {".", SCRIPT}:
        raise BadInputName(f"input name {name!r} must be a relative path inside the work dir")
    if rel.parts[0] in SCRATCH:
        raise BadInputName(f"input name {name!r} uses a reserved directory")
    return rel.as_posix()


def create(
    base: Path,
    code: str,
    inputs: Mapping[str, Path],
    *,
    quota: Quota | None = None,
    owner: tuple[int, int] | None = None,
    bind_inputs: bool = False,
) -> WorkDir:
    """Makes a fresh private dir under `base` holding main.py and the inputs.

    With a quota the dir is a tmpfs of that size (only root may mount one). `owner` is
    the uid:gid the job runs as: the dir and its scratch dirs become its. With
    `bind_inputs` the inputs are not copied: empty files stand where the jail binds
    the host's files read-only (no copy of a 10 GB table, and still no way to alter
    the host's file). With a quota, <dir>/.spill is a directory on disk next to it,
    bound in (see SPILL_DIR).
    """
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="run-", dir=base))  # mode 0700
    mounted = False
    spill: Path | None = None
    try:
        if quota is not None:
            uid, gid = owner or (os.geteuid(), os.getegid())
            mounts.mount_tmpfs(str(path), quota.size_bytes, quota.inodes, 0o700, uid, gid)
            mounted = True
        names = {_safe_name(name): Path(src) for name, src in inputs.items()}
        bound: dict[str, Path] = {}
        for name, src in names.items():
            dest = path / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if bind_inputs and _readable_by_others(src):
                dest.touch(0o444)
                bound[name] = src
            else:
                # A copy, never a link: the run may write to it, and its changes must
                # not reach the host's file (root ignores permission bits).
                shutil.copyfile(src, dest)
                dest.chmod(0o644)
        (path / SCRIPT).write_text(code, encoding="utf-8")
        for scratch in SCRATCH:
            (path / scratch).mkdir()
        if owner is not None:
            for entry in (path, *(path / s for s in SCRATCH)):
                os.chown(entry, *owner)
        if mounted:
            spill = Path(tempfile.mkdtemp(prefix="spill-", dir=base))
            if owner is not None:
                os.chown(spill, *owner)
            mounts.bind(str(spill), str(path / SPILL_DIR), read_only=False)
    except BaseException:
        remove(path, mounted, spill)
        raise
    return WorkDir(path, frozenset(names), bound, mounted, spill)


def over(directory: Path, max_bytes: int, max_files: int) -> bool:
    """Whether the files under `directory` hold more than `max_bytes` or number more than
    `max_files` (the walk stops there, so a flood of files cannot make it slow)."""
    total, files = 0, 0
    pending = [directory]
    while pending:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                files += 1
                if files > max_files:
                    return True
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                if total > max_bytes:
                    return True
    return False


def _readable_by_others(src: Path) -> bool:
    # A bind shows the file with its own owner and mode: a job of another uid can read
    # it only if everyone may. Other files are copied, and the copy made readable.
    return bool(src.stat().st_mode & stat.S_IROTH)


def _make_writable(func: Callable[..., object], path: str, _exc: BaseException | object) -> None:
    # A run may leave dirs without write or search permission (for a non-root host).
    with contextlib.suppress(OSError):
        parent = os.path.dirname(path)
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
        func(path)


def discard(work: WorkDir) -> None:
    """Deletes a work dir made by `create`, with its spill dir."""
    remove(work.path, work.mounted, work.spill)


def remove(path: Path, mounted: bool = False, spill: Path | None = None) -> None:
    """Deletes the work dir (and its spill dir); symlinks are removed, never followed."""
    if mounted:
        # Everything on the tmpfs goes with it, however many files the run made; the
        # lazy unmount takes the spill dir's bind along.
        try:
            mounts.detach(str(path))
        except OSError as exc:
            log.warning("could not unmount sandbox work dir %s: %s", path, exc)
    for directory in (path, spill):
        if directory is None:
            continue
        shutil.rmtree(directory, onerror=_make_writable)
        if directory.exists():
            log.warning("could not fully remove sandbox work dir %s", directory)
