"""The Parquet cache of a dataset: `<data_dir>/datasets/<id>/{data.parquet,profile.json}`.

Each file is written to a temporary name in the same directory and moved into place with
`os.replace`, data first; `profile.json` marks the entry complete. A crash leaves at worst
a stray temporary file, never a half-written `data.parquet` or `profile.json`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from bot.models import Dataset

DATA = "data.parquet"
PROFILE = "profile.json"
CHUNK = 1 << 20
# Part of every cache id: bump it when reading or type inference changes, so caches made
# by the old rules are not reused.
INGEST_VERSION = b"threadlab-ingest-2"  # 2: PII tokenised before caching


def content_id(path: Path, sheet: str | None = None) -> str:
    """First 16 hex digits of the SHA-256 of the file's bytes (and the sheet name, if given)."""
    digest = hashlib.sha256(INGEST_VERSION)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    if sheet is not None:
        digest.update(b"\x00sheet:" + sheet.encode("utf-8"))
    return digest.hexdigest()[:16]


class DatasetCache:
    """One dataset's cache directory."""

    def __init__(self, datasets_dir: Path, dataset_id: str) -> None:
        self.directory = datasets_dir / dataset_id
        self.data_path = self.directory / DATA
        self.profile_path = self.directory / PROFILE

    def load(self) -> Dataset | None:
        """The cached dataset when both files are complete, else None."""
        try:
            dataset = Dataset.model_validate_json(self.profile_path.read_bytes())
        except (OSError, ValidationError):
            return None
        if not _is_parquet(self.data_path):
            return None
        return dataset.model_copy(update={"cache_path": str(self.data_path)})

    def save(self, frame: pd.DataFrame, dataset: Dataset) -> None:
        """Writes data then profile atomically; on failure removes what this call wrote."""
        self.publish(lambda p: frame.to_parquet(p, index=False), lambda _: dataset)

    def publish(
        self, write_data: Callable[[Path], object], describe: Callable[[Path], Dataset]
    ) -> Dataset:
        """`write_data` fills a temporary file next to `data.parquet`, `describe` makes the
        dataset from that finished file; then data and profile are moved into place, data
        first. On failure removes what this call wrote (and the directory, if it made it)."""
        created = not self.directory.exists()
        self.directory.mkdir(parents=True, exist_ok=True)
        described: list[Dataset] = []

        def data(path: Path) -> None:
            write_data(path)
            described.append(describe(path))

        try:
            _write_atomic(self.data_path, data)
            payload = described[0].model_dump_json(indent=2).encode("utf-8")
            _write_atomic(self.profile_path, lambda p: p.write_bytes(payload))
            return described[0]
        except BaseException:
            self.profile_path.unlink(missing_ok=True)
            self.data_path.unlink(missing_ok=True)
            if created:
                with contextlib.suppress(OSError):
                    self.directory.rmdir()
            raise


def _write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        # Readable by all: the sandbox binds the cache read-only into jobs that run as
        # an unprivileged uid. The data dir (mode 700) keeps other host users out.
        temporary.chmod(0o644)
        with temporary.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            if f.read(4) != b"PAR1":
                return False
            f.seek(-4, os.SEEK_END)
            return f.read(4) == b"PAR1"
    except OSError:
        return False
