"""A matplotlib font cache built once per host and seeded into each run.

Starting matplotlib with an empty MPLCONFIGDIR scans every system font (0.5 s with a
few fonts, several seconds with CJK fonts installed). The cache is built by a
subprocess with the same interpreter flags as a run, then published with an atomic
rename, so concurrent executors (threads or processes) never see half a cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from importlib import metadata
from pathlib import Path

from sandbox.errors import SandboxSetupFailed

_lock = threading.Lock()


def _version() -> str:
    try:
        return metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        return "none"


def ensure(base: Path, python: str = sys.executable) -> Path:
    """The cache dir under `base` for this matplotlib version, built if missing."""
    # Keyed by version: a matplotlib upgrade changes the cache's file name and format.
    final = base / f"mplcache-{_version()}"
    with _lock:
        if final.is_dir():
            return final
        base.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".mplcache-build-", dir=base))
        try:
            _build(building, python)
            try:
                building.rename(final)
            except OSError:
                if not final.is_dir():  # another process published it first otherwise
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return final


def _build(target: Path, python: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(target),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(target),
    }
    # Importing the zygote here also proves the sandbox package is importable under -I
    # before the first run depends on it.
    code = (
        "import sandbox.zygote\n"
        "try:\n    import matplotlib.font_manager\n"
        "except ImportError:\n    pass\n"
    )
    done = subprocess.run(
        [python, "-I", "-c", code],
        env=env,
        cwd=target,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SandboxSetupFailed(
            f"building the sandbox font cache failed: {done.stderr.strip()[-500:]}"
        )
