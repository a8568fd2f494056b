"""The per-run work dir: the code, copies of the inputs, scratch dirs; removed after."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sandbox.errors import BadInputName

log = logging.getLogger(__name__)

SCRIPT = "main.py"
# Hidden scratch dirs for HOME, TMPDIR and MPLCONFIGDIR: what the program leaves there
# (caches, temp files) is not an output.
HOME_DIR = ".home"
TMP_DIR = ".tmp"
MPL_DIR = ".mplconfig"
SCRATCH = frozenset({HOME_DIR, TMP_DIR, MPL_DIR})


@dataclass(frozen=True)
class WorkDir:
    path: Path
    input_names: frozenset[str]  # relative POSIX paths of the copied inputs

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


def create(base: Path, code: str, inputs: Mapping[str, Path], font_cache: Path | None) -> WorkDir:
    """Makes a fresh private dir under `base` holding main.py and the inputs."""
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="run-", dir=base))  # mode 0700
    try:
        names = {_safe_name(name): Path(src) for name, src in inputs.items()}
        for name, src in names.items():
            dest = path / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            # A copy, never a link: the run may write to it, and its changes must not
            # reach the host's file (root ignores permission bits).
            shutil.copyfile(src, dest)
        (path / SCRIPT).write_text(code, encoding="utf-8")
        for scratch in SCRATCH:
            (path / scratch).mkdir()
        if font_cache is not None:
            _seed_font_cache(font_cache, path / MPL_DIR)
    except BaseException:
        remove(path)
        raise
    return WorkDir(path, frozenset(names))


def _seed_font_cache(cache: Path, dest: Path) -> None:
    # A per-run copy, not the shared dir itself: a run must not be able to alter what
    # the next run loads, and matplotlib ignores an MPLCONFIGDIR it cannot write to
    # (it then rebuilds the cache in a temp dir, taking a second or more).
    for entry in cache.iterdir():
        if entry.is_file() and not entry.is_symlink():
            shutil.copyfile(entry, dest / entry.name)


def _make_writable(func: Callable[..., object], path: str, _exc: BaseException | object) -> None:
    # A run may leave dirs without write or search permission (for a non-root host).
    with contextlib.suppress(OSError):
        parent = os.path.dirname(path)
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
        func(path)


def remove(path: Path) -> None:
    """Deletes the work dir; symlinks in it are removed, never followed."""
    shutil.rmtree(path, onerror=_make_writable)
    if path.exists():
        log.warning("could not fully remove sandbox work dir %s", path)
