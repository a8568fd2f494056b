"""Collecting what a run wrote: regular files only, of allowed types, within caps.

The work dir belongs to the untrusted program, so nothing in it is followed: the walk
goes through directory file descriptors with O_NOFOLLOW at every step, a symlink is
never a candidate, and a file with more than one link (a hard link to a file outside
the work dir) is skipped. Each file is checked again on the open descriptor it is
copied from, so a swap between the check and the copy is caught as well.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from sandbox.limits import Limits
from sandbox.result import Artifact

Kind = Literal["image", "table", "file"]
KINDS: dict[str, Kind] = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".svg": "image",
    ".csv": "table", ".xlsx": "table", ".parquet": "table",
    ".pdf": "file", ".json": "file", ".txt": "file", ".html": "file", ".md": "file",
}  # fmt: skip
# A run can create millions of entries; the walk gives up after this many (and below
# this depth) rather than spend the host's time on them.
MAX_ENTRIES = 10_000
MAX_DEPTH = 16

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in for a file must not block the host on open.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class _Candidate:
    name: str  # relative POSIX path
    size: int


def _acceptable(st: os.stat_result, limit: int) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size <= limit


def _open_dir_beneath(root: Path, rel_parts: list[str]) -> int:
    """Opens a directory under `root` without following a symlink at any step."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in rel_parts:
            sub = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = sub
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_beneath(root: Path, rel: str) -> int:
    """Opens the file `rel` under `root` without following a symlink at any step."""
    *dirs, name = rel.split("/")
    dir_fd = _open_dir_beneath(root, dirs)
    try:
        return os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _walk(root: Path, skip: frozenset[str], limit: int) -> Iterator[_Candidate]:
    seen = 0
    # Directories wait as paths, not open descriptors: a run with thousands of
    # directories must not use up the host's descriptors.
    pending: list[list[str]] = [[]]
    while pending:
        parts = pending.pop()
        try:
            dir_fd = _open_dir_beneath(root, parts)
        except OSError:
            continue
        try:
            with os.scandir(dir_fd) as it:
                names = sorted(entry.name for entry in it)
            for name in names:
                seen += 1
                if seen > MAX_ENTRIES:
                    return
                rel = "/".join([*parts, name])
                if rel in skip:
                    continue
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if len(parts) < MAX_DEPTH:
                        pending.append([*parts, name])
                elif PurePosixPath(name).suffix.lower() in KINDS and _acceptable(st, limit):
                    yield _Candidate(rel, st.st_size)
        finally:
            os.close(dir_fd)


def _copy(root: Path, rel: str, dest: Path, limit: int) -> int | None:
    """Copies one file; its size, or None when it is no longer acceptable."""
    try:
        src = _open_beneath(root, rel)
    except OSError:
        return None
    try:
        if not _acceptable(os.fstat(src), limit):
            return None
        dest.parent.mkdir(parents=True, exist_ok=True)
        copied = 0
        with open(dest, "wb") as out:
            while chunk := os.read(src, 1024 * 1024):
                copied += len(chunk)
                if copied > limit:  # grew after the check
                    break
                out.write(chunk)
        if copied > limit:
            dest.unlink(missing_ok=True)
            return None
        return copied
    except OSError:
        with contextlib.suppress(OSError):
            dest.unlink(missing_ok=True)
        return None
    finally:
        os.close(src)


def _normalise(path: object) -> str | None:
    if not isinstance(path, str):
        return None
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    return rel.as_posix()


def collect(
    root: Path,
    dest: Path,
    limits: Limits,
    exclude: Iterable[str],
    prefer: Iterable[object] = (),
) -> list[Artifact]:
    """Copies the run's outputs into `dest`; those named in `prefer` (the paths of
    table and image events) come first when there are more than the cap allows."""
    candidates = list(_walk(root, frozenset(exclude), limits.artifact_bytes))
    by_name = {c.name: c for c in candidates}
    first = [n for p in prefer if (n := _normalise(p)) is not None and n in by_name]
    order = list(dict.fromkeys([*first, *(c.name for c in candidates)]))
    collected: list[Artifact] = []
    for name in order:
        if len(collected) >= limits.max_artifacts:
            break
        target = dest.joinpath(*name.split("/"))
        size = _copy(root, name, target, limits.artifact_bytes)
        if size is not None:
            kind = KINDS[PurePosixPath(name).suffix.lower()]
            collected.append(Artifact(name=name, path=target, size=size, kind=kind))
    return collected
