"""Ingest: a file becomes a typed Parquet cache and a profile, or a clear error.

`ingest(path, settings)` checks the file (exists, supported type, size, bytes match the
type), reuses the cache when the same bytes were ingested before, else reads the file
(CSV/TSV/TXT, Excel, Parquet, JSON lines), infers column types, profiles it and writes the
cache atomically. Every failure is an `IngestError` whose message names the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import EmptyFile, FileMissing, FileTooLarge, IngestError, SheetNotFound
from bot.ingest.cache import DatasetCache, content_id
from bot.ingest.profile import profile_frame
from bot.ingest.readers import read_table
from bot.ingest.sniff import SUPPORTED, check_magic, file_format
from bot.ingest.stream import ingest_large
from bot.ingest.types import infer_frame
from bot.memory import release_freed_memory
from bot.models import Dataset, MaskedColumn
from bot.pii.detect import classify_frame
from bot.pii.secret import installation_secret
from bot.pii.tokenise import Tokeniser, tokenise_frame
from bot.settings import MIB, Settings

__all__ = ["SUPPORTED", "Ingested", "SheetNotFound", "datasets_dir", "ingest", "ingest_with_tokens"]

log = logging.getLogger(__name__)


def datasets_dir(settings: Settings) -> Path:
    """Where dataset caches live: `<data_dir>/datasets`."""
    return settings.resolved_data_dir().absolute() / "datasets"


@dataclass(frozen=True)
class Ingested:
    dataset: Dataset
    # token -> (PII type, raw value): the token map for the store. Empty on a cache hit
    # (the store got it the first time) and when masking is off.
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)


def ingest(
    path: Path,
    settings: Settings,
    sheet: str | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """Reads `path` into the Parquet cache and profiles it, or raises an `IngestError`.

    `sheet` picks an Excel sheet by name (default: the first sheet with data); other
    formats ignore it. The same bytes (and sheet) ingested again reuse the cache.
    Personal data is tokenised before anything is cached (see bot/pii). CSV and Parquet
    files over `settings.stream_ingest_mb` are converted in batches (bot/ingest/stream.py),
    calling `progress` with a line of text about once a second while they are.
    """
    return ingest_with_tokens(path, settings, sheet, progress=progress).dataset


def ingest_with_tokens(
    path: Path,
    settings: Settings,
    sheet: str | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Ingested:
    """`ingest`, also returning the token map of what was masked."""
    try:
        return _ingest(path, settings, sheet, progress)
    finally:
        # What reading and converting the file freed goes back to the host, for the
        # sandbox run that follows (and, in the bot, the next file).
        release_freed_memory()


def _ingest(
    path: Path, settings: Settings, sheet: str | None, progress: Callable[[str], None] | None
) -> Ingested:
    path = Path(path)
    name = path.name
    if not path.exists():
        raise FileMissing(f"{name} does not exist: there is no such file.")
    if not path.is_file():
        raise FileMissing(f"{name} is a folder, not a file.")
    fmt = file_format(path)
    try:
        size = path.stat().st_size
        if size > settings.max_upload_mb * MIB:
            raise FileTooLarge(
                f"{name} is {size / MIB:,.1f} MB, over the {settings.max_upload_mb} MB "
                "upload limit."
            )
        if size == 0:
            raise EmptyFile(f"{name} is empty (0 bytes).")
        check_magic(path, fmt, size)
        if fmt != "excel":
            sheet = None
        cache = DatasetCache(datasets_dir(settings), content_id(path, sheet))
        source = {"name": name, "source_path": str(path.resolve())}
        cached = cache.load()
        if cached is not None:
            log.info("ingest %s: cache hit %s", name, cache.directory)
            return Ingested(cached.model_copy(update=source))
        if fmt in ("csv", "parquet") and size > settings.stream_ingest_mb * MIB:
            large, masked_values = ingest_large(
                path, fmt, size=size, cache=cache, settings=settings, progress=progress
            )
            return Ingested(large, masked_values)
        table = read_table(path, fmt, sheet)
    except OSError as exc:  # also a cache write that failed; publish() cleaned up
        raise IngestError(f"{name} could not be read: {exc.strerror or exc}.") from exc
    frame, kinds = infer_frame(table.frame)
    frame = frame.dropna(how="all").reset_index(drop=True)
    if frame.empty:
        raise EmptyFile(f"{name} is empty: it has a header row but no data rows.")
    masked: list[MaskedColumn] = []
    tokens: dict[str, tuple[str, str]] = {}
    decisions = classify_frame(frame) if settings.pii_tokenise else []
    if any(d.pii_type is not None or d.free_text for d in decisions):
        data_dir = settings.resolved_data_dir().absolute()
        try:
            tokeniser = Tokeniser(installation_secret(data_dir))
        except (OSError, ValueError) as exc:
            raise IngestError(
                f"{name} was read, but its cache could not be written: the key that masks "
                f"personal data could not be read or made in {data_dir} ({exc})."
            ) from exc
        tokenised = tokenise_frame(frame, kinds, decisions, tokeniser)
        frame, kinds, masked = tokenised.frame, tokenised.kinds, tokenised.masked
        tokens = {token: (str(t), value) for token, (t, value) in tokenised.values.items()}
    dataset = Dataset(
        id=cache.directory.name,
        cache_path=str(cache.data_path),
        size_bytes=size,
        format=fmt,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        profile=profile_frame(frame, kinds),
        masked=masked,
        name=name,
        source_path=source["source_path"],
    )
    try:
        cache.save(frame, dataset)
    except OSError as exc:  # a full disk or a read-only data dir; save() cleaned up
        raise IngestError(
            f"{name} was read, but its cache could not be written in {cache.directory}: "
            f"{exc.strerror or exc}."
        ) from exc
    log.info("ingest %s: %d rows cached in %s", name, len(frame), cache.directory)
    return Ingested(dataset, tokens)
