"""Retention: uploaded files, dataset caches, run outputs and work dirs expire.

Everything the bot keeps about people's data sits under the data dir, and everything
there has a last-touched time; what is older than the retention period goes, together
with the token map of a dataset whose cache went. The store's run records stay (they
hold tokens, never raw values) so the audit trail survives the data.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.store import Store

log = logging.getLogger(__name__)

DAY_S = 86400.0
# Folders of the data dir that hold data about people, and what one entry in each is.
EXPIRING = ("uploads", "datasets", "runs")


@dataclass
class Purged:
    paths: list[Path] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)


def _newest_mtime(path: Path) -> float:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_mtime
    newest = path.lstat().st_mtime
    for child in path.rglob("*"):
        try:
            newest = max(newest, child.lstat().st_mtime)
        except OSError:
            continue
    return newest


def purge(data_dir: Path, store: Store, days: float, now: float | None = None) -> Purged:
    """Deletes entries of the expiring folders untouched for `days`; returns them."""
    cutoff = (time.time() if now is None else now) - days * DAY_S
    purged = Purged()
    for name in EXPIRING:
        folder = data_dir / name
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            try:
                if _newest_mtime(entry) >= cutoff:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError as exc:
                log.warning("retention could not delete %s: %s", entry, exc)
                continue
            purged.paths.append(entry)
            if name == "datasets":
                purged.datasets.append(entry.name)
    for dataset_id in purged.datasets:
        store.forget_dataset(dataset_id)
    return purged
