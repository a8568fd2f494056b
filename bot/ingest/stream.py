"""Large CSV and Parquet files: converted to the Parquet cache in batches, never whole.

The first `SAMPLE_ROWS` rows decide, once, what the small path decides over the whole
table: each column's kind and dtype (`infer_frame`) and which columns hold personal data
(`classify_frame`). The file is then read batch by batch (pyarrow's streaming CSV reader
with every cell a string, or `ParquetFile.iter_batches`); each batch is converted to the
fixed kinds (`convert_column`: a value that does not fit becomes null, is counted and
reported in `Dataset.notes`), tokenised with the fixed decisions and appended to one
Parquet file with one schema. DuckDB then profiles the written file (`large_profile`).

A Parquet file whose sample needs no conversion and no masking is profiled as it is; the
profile's scans also check the rest of the file for what the sample did not show (a row
with no value, untidy text, PII in a watched column). If they find nothing, the file is
cached as a byte copy with that profile; else it is converted like any other.

Memory stays bounded by the batch size, except for what masking keeps per distinct value
of a personal-data column: the token map (accepted: the store needs it; a million phone
numbers take some 300 MB) and an 8-byte hash for the count.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pandas.api import types as ptypes

from bot.errors import EmptyFile, IngestError, MalformedFile
from bot.ingest.cache import DatasetCache
from bot.ingest.columns import header_text, unique_names
from bot.ingest.delimited import (
    delimiter_name,
    has_values,
    pandas_options,
    read_error,
    text_format,
)
from bot.ingest.large_profile import profile_parquet, scan_parquet
from bot.ingest.parquet import parquet_error
from bot.ingest.sniff import Format
from bot.ingest.types import NULL_TOKENS, Dtype, convert_column, infer_frame
from bot.models import ColumnKind, Dataset, DatasetProfile, MaskedColumn
from bot.pii.detect import _FINDERS, CODE_SHARE, ColumnDecision, classify_frame, span_types
from bot.pii.secret import installation_secret
from bot.pii.tokenise import Tokeniser, tokenise_frame
from bot.settings import Settings

log = logging.getLogger(__name__)

SAMPLE_ROWS = 100_000  # rows that decide kinds and personal-data columns
CSV_BLOCK_BYTES = 2 << 20  # text pyarrow parses at a time
CSV_BATCH_ROWS = 262_144  # blocks are put together into batches of this many rows
CSV_BATCH_BYTES = 64 << 20  # or of this much text, whichever comes first
PARQUET_BATCH_ROWS = 262_144
TRANSCODE_BYTES = 1 << 20
PANDAS_CHECK_ROWS = 1_000_000  # rows per chunk when pandas re-reads a suspicious CSV
PROGRESS_SECONDS = 1.0
# RE2: text the small path would change (surrounding whitespace as Python's str.strip
# sees it, a spelling of a missing value); a Parquet file holding such text is converted.
_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
UNTIDY: Final = (
    f"^[{_SPACE}]|[{_SPACE}]$|^(?i:{'|'.join(re.escape(t) for t in sorted(NULL_TOKENS))})$"
)
KIND_WORDS: Final[dict[ColumnKind, str]] = {
    "integer": "whole numbers",
    "number": "numbers",
    "datetime": "dates",
    "boolean": "true/false values",
}

Progress = Callable[[str], None]
Tokens = dict[str, tuple[str, str]]


def ingest_large(
    path: Path,
    fmt: Format,
    *,
    size: int,
    cache: DatasetCache,
    settings: Settings,
    progress: Progress | None = None,
) -> tuple[Dataset, Tokens]:
    """The dataset and token map of a large CSV or Parquet file, cached in `cache`."""
    ticker = _Ticker(progress, path.name)
    source: _CsvSource | _ParquetSource = (
        _CsvSource(path, ticker, cache.directory.parent) if fmt == "csv" else _ParquetSource(path)
    )
    with source:
        frames = source.frames()
        head = _take(frames, SAMPLE_ROWS)
        if head.empty:
            raise EmptyFile(f"{path.name} is empty: it has a header row but no data rows.")
        columns = _Columns(source.headers, head, drop_empty_unnamed=fmt == "csv")
        head = columns.select(head)
        sample = head.iloc[:SAMPLE_ROWS]
        inferred, kinds = infer_frame(sample)
        decided = inferred.dropna(how="all").reset_index(drop=True)
        decisions = classify_frame(decided) if settings.pii_tokenise else []
        watched = _watched(decisions, decided) if settings.pii_tokenise else []
        job = _Job(path, fmt, size, cache, settings, ticker, source, len(sample))
        try:
            if (
                isinstance(source, _ParquetSource)
                and _as_is(source, columns, head, inferred)
                and not any(d.pii_type is not None or d.free_text for d in decisions)
            ):
                profile = _profile_as_is(path, head, kinds, watched, cache, settings)
                if profile is not None:
                    return job.copy(profile), {}
            batches = _Batches(kinds, {c: inferred[c].dtype for c in inferred.columns}, columns)
            if decisions and (watched or any(d.pii_type or d.free_text for d in decisions)):
                batches.mask(decisions, watched, _tokeniser(path, settings))
            return job.convert(head, frames, batches)
        except OSError as exc:  # publish() removed what it wrote
            raise IngestError(
                f"{path.name} could not be converted to its Parquet cache in "
                f"{cache.directory}: {exc.strerror or exc}."
            ) from exc
        except duckdb.Error as exc:
            raise IngestError(
                f"{path.name} was converted, but could not be profiled: {exc}."
            ) from exc
        except pa.ArrowException as exc:
            raise IngestError(f"{path.name} could not be converted to Parquet: {exc}.") from exc


def _take(frames: Iterator[pd.DataFrame], rows: int) -> pd.DataFrame:
    """The first frames of `frames` until they hold at least `rows` rows, as one frame."""
    taken: list[pd.DataFrame] = []
    count = 0
    for frame in frames:
        taken.append(frame)
        count += len(frame)
        if count >= rows:
            break
    if not taken:
        return pd.DataFrame()
    return pd.concat(taken, ignore_index=True) if len(taken) > 1 else taken[0]


def _tokeniser(path: Path, settings: Settings) -> Tokeniser:
    data_dir = settings.resolved_data_dir().absolute()
    try:
        return Tokeniser(installation_secret(data_dir))
    except (OSError, ValueError) as exc:
        raise IngestError(
            f"{path.name} was read, but its cache could not be written: the key that masks "
            f"personal data could not be read or made in {data_dir} ({exc})."
        ) from exc


# ============================== the two ways to the cache ==============================


@dataclasses.dataclass
class _Job:
    path: Path
    fmt: Format
    size: int
    cache: DatasetCache
    settings: Settings
    ticker: _Ticker
    source: _CsvSource | _ParquetSource
    sampled: int  # rows that decided the kinds

    def copy(self, profile: DatasetProfile) -> Dataset:
        """A Parquet file that needs no change, as its profile showed: cached as a byte copy
        (the profile of the file is that of the copy)."""
        dataset = self.cache.publish(
            lambda p: shutil.copyfile(self.path, p), lambda _: self._dataset(profile, [], [])
        )
        self.ticker.done(dataset.profile.rows, "cached as it is")
        return dataset

    def convert(
        self, head: pd.DataFrame, rest: Iterator[pd.DataFrame], batches: _Batches
    ) -> tuple[Dataset, Tokens]:
        """Converts, masks and writes the head and then every further batch."""

        def write(data: Path) -> None:
            writer: pq.ParquetWriter | None = None
            try:
                first = batches.process(head, selected=True)
                schema = pa.Schema.from_pandas(first, preserve_index=False)
                writer = pq.ParquetWriter(data, schema)
                self._append(writer, schema, first)
                for raw in rest:
                    self._append(writer, schema, batches.process(raw))
                    self.ticker.update(batches.rows, self.source.fraction())
            finally:
                if writer is not None:
                    writer.close()
            self.source.finish()
            if batches.rows == 0:
                raise EmptyFile(f"{self.path.name} is empty: it has no rows with values.")

        def describe(data: Path) -> Dataset:
            assert batches.sample is not None, "write() processed the head"
            profile = profile_parquet(data, batches.sample, batches.out_kinds, self.settings)
            notes = batches.notes(profile.rows, self.sampled)
            return self._dataset(profile, batches.masked_columns(), notes)

        dataset = self.cache.publish(write, describe)
        self.ticker.done(dataset.profile.rows, "converted")
        return dataset, batches.tokens

    def _append(self, writer: pq.ParquetWriter, schema: pa.Schema, frame: pd.DataFrame) -> None:
        if len(frame):
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))

    def _dataset(
        self, profile: DatasetProfile, masked: list[MaskedColumn], notes: list[str]
    ) -> Dataset:
        return Dataset(
            id=self.cache.directory.name,
            name=self.path.name,
            source_path=str(self.path.resolve()),
            cache_path=str(self.cache.data_path),
            size_bytes=self.size,
            format=self.fmt,
            encoding=getattr(self.source, "encoding", None),
            delimiter=getattr(self.source, "delimiter", None),
            profile=profile,
            masked=masked,
            notes=notes,
        )


# ============================== batches ==============================


@dataclasses.dataclass
class _MaskedSoFar:
    pii_type: str | None
    free_text: bool
    derived: list[str]
    values: int = 0
    rows_with_spans: int = 0
    watched: bool = False  # masked only because PII might turn up after the sample


class _Batches:
    """Converts raw batches to the fixed kinds and masks them; keeps the counts."""

    def __init__(
        self, kinds: dict[str, ColumnKind], dtypes: dict[str, Dtype], columns: _Columns
    ) -> None:
        self.kinds, self.dtypes, self.columns = kinds, dtypes, columns
        self.out_kinds = dict(kinds)
        self.failures = dict.fromkeys(kinds, 0)
        self.rows = 0
        self.sample: pd.DataFrame | None = None  # the first batch, as written
        self.tokens: Tokens = {}
        self._masked: dict[str, _MaskedSoFar] = {}
        self._decisions: list[ColumnDecision] = []
        self._watched: set[str] = set()
        self._tokeniser: Tokeniser | None = None
        self._hashes: dict[str, _DistinctHashes] = {}

    def mask(
        self, decisions: list[ColumnDecision], watched: list[str], tokeniser: Tokeniser
    ) -> None:
        """Masks like the small path; `watched` text columns, which showed no PII in the
        sample, are scanned for it in every batch as free text, so that a phone number
        after the sample is masked too."""
        self._watched = set(watched)
        self._decisions = [
            dataclasses.replace(d, free_text=True) if d.column in self._watched else d
            for d in decisions
        ]
        self._tokeniser = tokeniser

    def process(self, raw: pd.DataFrame, *, selected: bool = False) -> pd.DataFrame:
        if not selected:
            raw = self.columns.select(raw)
        converted: dict[str, pd.Series] = {}
        for name, kind in self.kinds.items():
            converted[name], failed = convert_column(raw[name], kind, self.dtypes[name])
            self.failures[name] += failed
        frame = pd.DataFrame(converted, index=pd.RangeIndex(len(raw)))
        frame = frame.dropna(how="all").reset_index(drop=True)
        if self._tokeniser is not None:
            self._distinct(frame)
            out = tokenise_frame(frame, self.kinds, self._decisions, self._tokeniser)
            frame = out.frame
            self.out_kinds = out.kinds
            for masked in out.masked:
                self._count(masked)
            for token, (pii_type, value) in out.values.items():
                self.tokens.setdefault(token, (str(pii_type), value))
        self.rows += len(frame)
        if self.sample is None:
            self.sample = frame
        return frame

    def _distinct(self, frame: pd.DataFrame) -> None:
        """Notes the distinct values of each PII column, as the small path counts them
        (stripped text as written, before normalising), by 64-bit hash: 8 bytes each."""
        for decision in self._decisions:
            if decision.pii_type is None:
                continue
            values = frame[decision.column].dropna().astype(str).str.strip().unique()
            hashes = pd.util.hash_array(np.asarray(values, dtype=object))
            self._hashes.setdefault(decision.column, _DistinctHashes()).add(hashes)

    def _count(self, masked: MaskedColumn) -> None:
        so_far = self._masked.get(masked.column)
        if so_far is None:
            so_far = self._masked[masked.column] = _MaskedSoFar(
                masked.pii_type,
                masked.free_text,
                list(masked.derived),
                watched=masked.column in self._watched,
            )
        so_far.values += masked.values_masked
        if masked.free_text:
            so_far.rows_with_spans += masked.distinct_values

    def masked_columns(self) -> list[MaskedColumn]:
        """Counts summed over batches (for free text: spans, and rows with spans); distinct
        values of PII columns. Watched columns appear once PII was found in them."""
        return [
            MaskedColumn(
                column=column,
                pii_type=m.pii_type,
                free_text=m.free_text,
                values_masked=m.values,
                distinct_values=(
                    m.rows_with_spans if m.free_text else self._hashes[column].count()
                ),
                derived=m.derived,
            )
            for column, m in self._masked.items()
            if not (m.watched and m.values == 0)
        ]

    def notes(self, rows: int, sampled: int) -> list[str]:
        out = [
            f"{name}: {failed:,} of {rows:,} values were not {KIND_WORDS[self.kinds[name]]} "
            f"like the first {sampled:,} rows and were left empty."
            for name, failed in self.failures.items()
            if failed
        ]
        out += self.columns.notes(sampled)
        return out


class _DistinctHashes:
    """A set of 64-bit hashes as sorted arrays, merged when the new ones outnumber the
    merged ones: each hash is re-sorted O(log n) times, and held in 8 bytes."""

    def __init__(self) -> None:
        self._merged = np.empty(0, dtype=np.uint64)
        self._new: list[np.ndarray] = []
        self._pending = 0

    def add(self, hashes: np.ndarray) -> None:
        self._new.append(np.unique(hashes))
        self._pending += len(self._new[-1])
        if self._pending > max(len(self._merged), 1 << 16):
            self._merge()

    def count(self) -> int:
        self._merge()
        return len(self._merged)

    def _merge(self) -> None:
        if self._new:
            self._merged = np.unique(np.concatenate([self._merged, *self._new]))
            self._new, self._pending = [], 0


# ============================== columns ==============================


class _Columns:
    """Which raw columns are kept and their names: the small path's rules, applied to the
    sample. A CSV column with neither a header nor a value in the sample is left out; any
    value it has later is counted and reported, never dropped in silence."""

    def __init__(self, headers: list[Any], head: pd.DataFrame, *, drop_empty_unnamed: bool):
        positions = list(range(len(headers)))
        if drop_empty_unnamed:
            positions = [
                i for i in positions if header_text(headers[i]) or has_values(head.iloc[:, i])
            ]
        self.positions = positions
        self.dropped = [i for i in range(len(headers)) if i not in set(positions)]
        self.names = unique_names(headers[i] for i in positions)
        self.original = [headers[i] for i in positions]
        self.lost = dict.fromkeys(self.dropped, 0)

    def select(self, raw: pd.DataFrame) -> pd.DataFrame:
        for i in self.dropped:
            column = raw.iloc[:, i]
            self.lost[i] += int(column.fillna("").str.strip().ne("").sum())
        frame = raw.iloc[:, self.positions]
        frame.columns = pd.Index(self.names)
        return frame

    def notes(self, sampled: int) -> list[str]:
        return [
            f"column {i + 1} has no header and was empty in the first {sampled:,} rows, so "
            f"it was left out; {lost:,} values further down in it were not kept."
            for i, lost in self.lost.items()
            if lost
        ]


def _watched(decisions: list[ColumnDecision], frame: pd.DataFrame) -> list[str]:
    """Text columns the sample shows free of PII, bare digit codes aside (those are
    never free text): PII in them after the sample must still be masked."""
    watched = []
    for decision in decisions:
        if decision.pii_type is not None or decision.free_text:
            continue
        values = frame[decision.column]
        if not ptypes.is_string_dtype(values.dtype) or ptypes.is_object_dtype(values.dtype):
            continue
        present = values.dropna()
        if len(present) and present.str.fullmatch(r"[0-9]+[Xx]?").mean() >= CODE_SHARE:
            continue
        watched.append(decision.column)
    return watched


def _prefilter(column: str) -> str:
    """An RE2 pattern that matches every value holding PII of a type this column's
    header allows (and some that do not: the validators decide)."""
    types = span_types(column)
    return "|".join(f"(?:{finder.prefilter})" for finder in _FINDERS if finder.pii_type in types)


def _profile_as_is(
    path: Path,
    sample: pd.DataFrame,
    kinds: dict[str, ColumnKind],
    watched: list[str],
    cache: DatasetCache,
    settings: Settings,
) -> DatasetProfile | None:
    """The profile of the Parquet file as it is, or None when, past the sample, it holds
    what the small path would change or mask: rows with no value at all (dropped), text
    with spaces around it or spelling a missing value (trimmed, made null), or in a
    watched column what might be PII. Checked in the profile's own scans."""
    watching = set(watched)
    patterns = {
        str(name): UNTIDY + (f"|{_prefilter(str(name))}" if name in watching else "")
        for name in sample.columns
        if ptypes.is_string_dtype(sample[name].dtype)
    }
    return scan_parquet(
        path, sample, kinds, settings, work=cache.directory.parent, patterns=patterns, blank=True
    )


def _as_is(
    source: _ParquetSource, columns: _Columns, head: pd.DataFrame, inferred: pd.DataFrame
) -> bool:
    """Whether the small path would cache this Parquet file unchanged, as far as the sample
    shows: plain column names, no stored index, every column keeping dtype and values."""
    if not source.range_index or columns.names != columns.original:
        return False
    for name in inferred.columns:
        raw = head[name].iloc[: len(inferred)].reset_index(drop=True)
        if raw.dtype != inferred[name].dtype or not raw.equals(inferred[name]):
            return False
    return True


# ============================== sources ==============================


class _CsvSource:
    """Batches of strings from delimited text, as pandas would split it: quotes, quoted
    newlines, blank lines skipped, short rows padded with nulls, long rows an error.

    pyarrow reads the file natively. Text in another encoding than UTF-8 is first written
    out as UTF-8 next to the cache (a temporary file, removed afterwards): pyarrow would
    otherwise call Python's codecs from a reading thread of its own, which can bring the
    interpreter down at exit when such a read is left running (after an error).
    """

    def __init__(self, path: Path, ticker: _Ticker, work: Path) -> None:
        self.path, self.name = path, path.name
        self.format = text_format(path)
        self.encoding: str | None = self.format.encoding
        self.delimiter: str | None = self.format.delimiter
        self.headers: list[Any] = []
        self._ticker, self._work = ticker, work
        self._quotes = self.format.quotes
        self._utf8: Path | None = None  # the UTF-8 copy, if one was made
        self._stream: Any = None  # what pyarrow reads, natively
        self._size = 1
        self._rows = 0  # rows handed out so far, the header included
        self._short: list[tuple[int, str]] = []  # (row number, text) of rows to pad
        self._long: tuple[int, int, int] | None = None  # (row number, fields, expected)
        self._columns = 0
        self._next = 1  # the row number (pyarrow's: non-empty records, from 1) of the next row
        self._header_seen = False
        self._reader: pacsv.CSVStreamingReader | None = None

    def __enter__(self) -> _CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._stream is not None:
            self._stream.close()
        if self._utf8 is not None:
            self._utf8.unlink(missing_ok=True)

    def fraction(self) -> float:
        """The share of the file in the rows handed out so far, taking a row to be as long
        as in the first 64 KiB; at most what pyarrow has read (some 30 blocks ahead)."""
        if self._stream is None or self._stream.closed:
            return 0.0
        sample = self.format.sample
        row_bytes = len(sample.encode()) / max(1, sample.count("\n"))
        return min(
            1.0, float(self._stream.tell()) / self._size, self._rows * row_bytes / self._size
        )

    def frames(self) -> Iterator[pd.DataFrame]:
        """Frames of data rows (columns by position); `headers` is set by the first.

        pyarrow reads small blocks (it reads some 30 blocks ahead, so the block size
        bounds memory) whose batches are put together into frames of about
        CSV_BATCH_ROWS rows or CSV_BATCH_BYTES, so pandas works on large batches.
        """
        columns = self._count_columns()
        source = self.path if self.format.encoding in ("utf-8", "utf-8-sig") else self._to_utf8()
        self._size = max(1, source.stat().st_size)
        self._stream = pa.input_stream(str(source), compression=None)
        reader = self._reader = self._open(self._stream, CSV_BLOCK_BYTES, columns)
        pending: list[pa.RecordBatch] = []
        rows = size = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise self._error(exc) from exc
            pending.append(batch)
            rows, size = rows + batch.num_rows, size + batch.nbytes
            if rows >= CSV_BATCH_ROWS or size >= CSV_BATCH_BYTES:
                frame = self._frame(pa.Table.from_batches(pending).to_pandas())
                self._rows += rows
                pending, rows, size = [], 0, 0
                yield frame
        if pending or self._short:  # the rest, and short rows after the last batch
            if pending:
                table = pa.Table.from_batches(pending).to_pandas()
            else:
                names = [f"f{i}" for i in range(self._columns)]
                table = pd.DataFrame({name: pd.Series([], dtype="str") for name in names})
            yield self._frame(table)

    def _frame(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Short rows back in place; the header row (the file's first) taken off."""
        frame = self._pad(raw)
        if not self._header_seen:
            self._header_seen = True
            self.headers = frame.iloc[0].tolist()
            frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = pd.RangeIndex(frame.shape[1])
        return frame

    def finish(self) -> None:
        """After the last batch: pyarrow ends a quoted value that never closes at the end
        of the file, where pandas says the file is truncated. An odd number of quote
        characters is the sign; pandas then reads the file once more, in chunks, to say
        exactly what is wrong (a stray literal quote is also odd, and fine)."""
        if self._quotes is None or self._quotes % 2 == 0:
            return
        options = pandas_options(self.format) | {"chunksize": PANDAS_CHECK_ROWS}
        options.pop("low_memory")
        try:
            with pd.read_csv(self.path, **options) as chunks:
                for _ in chunks:
                    pass
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise read_error(self.name, self.format, exc) from exc

    def _open(self, file: Any, block: int, columns: int | None) -> pacsv.CSVStreamingReader:
        """A reader of every cell as a string; `columns` None: only to learn the count."""
        # Always UTF-8 by now (a BOM is skipped); the file decoded strictly when the
        # encoding was detected.
        read = pacsv.ReadOptions(
            autogenerate_column_names=True, encoding="utf8", block_size=block, use_threads=False
        )
        parse = pacsv.ParseOptions(
            delimiter=self.format.delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=_skip if columns is None else self._invalid_row,
        )
        convert = pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(columns or 0)},
            strings_can_be_null=False,
        )
        try:
            return pacsv.open_csv(
                file, read_options=read, parse_options=parse, convert_options=convert
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._error(exc) from exc

    def _count_columns(self) -> int:
        """The number of fields in the header row (pyarrow sizes every row by it), read
        from the decoded start of the file: opening the file itself would read ahead
        some 30 blocks just to look at one row. (A header row longer than the sample, 64
        KiB, is cut short: then the reader stops at the first row, with an error.)"""
        reader = self._open(pa.BufferReader(self.format.sample.encode()), 1 << 20, None)
        self._columns = len(reader.schema.names)
        reader.close()
        return self._columns

    def _to_utf8(self) -> Path:
        """The file written out as UTF-8 (a temporary file in the work directory),
        counting its quote characters, which are unambiguous in UTF-8."""
        self._work.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._work, prefix=".utf8-", suffix=".csv")
        self._utf8 = Path(name)
        decoder = codecs.getincrementaldecoder(self.format.encoding)(errors="strict")
        size, done, quotes = max(1, self.path.stat().st_size), 0, 0
        with os.fdopen(fd, "wb") as out, self.path.open("rb") as source:
            while chunk := source.read(TRANSCODE_BYTES):
                data = decoder.decode(chunk).encode("utf-8")
                quotes += data.count(b'"')
                out.write(data)
                done += len(chunk)
                self._ticker.update(0, done / size, f"re-encoding it from {self.encoding}")
            data = decoder.decode(b"", final=True).encode("utf-8")
            out.write(data)
        self._quotes = quotes + data.count(b'"')
        return self._utf8

    def _invalid_row(self, row: Any) -> str:
        number = int(row.number) if row.number is not None else -1
        if row.actual_columns < row.expected_columns and number > 0:
            self._short.append((number, str(row.text)))
            return "skip"
        self._long = (number, int(row.actual_columns), int(row.expected_columns))
        return "error"

    def _pad(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Puts the short rows pyarrow skipped back in their places, padded with nulls."""
        start = self._next
        end = start + len(frame) - 1
        taken = 0
        while taken < len(self._short) and self._short[taken][0] <= end + 1:
            end += 1
            taken += 1
        self._next = end + 1
        if not taken:
            return frame
        rows, self._short = self._short[:taken], self._short[taken:]
        positions = [number - start for number, _ in rows]
        padded = []
        for _, text in rows:
            fields = next(csv.reader(io.StringIO(text), delimiter=self.delimiter or ","), [])
            padded.append(fields + [None] * (self._columns - len(fields)))
        extra = pd.DataFrame(padded, columns=frame.columns, index=positions, dtype="str")
        kept = np.setdiff1d(np.arange(len(frame) + taken), positions)
        frame = frame.set_axis(pd.Index(kept))
        return pd.concat([frame, extra]).sort_index().reset_index(drop=True)

    def _error(self, exc: Exception) -> IngestError:
        kind = delimiter_name(self.format)
        if self._long is not None:
            number, fields, expected = self._long
            where = f"row {number}" if number > 0 else "a row"
            return MalformedFile(
                f"{self.name} could not be read as {kind}-separated text: {where} has "
                f"{fields} fields where the header row has {expected}."
            )
        if isinstance(exc, UnicodeDecodeError):
            return read_error(self.name, self.format, exc)
        detail = str(exc).split("\n")[0][:200].rstrip(".")
        return MalformedFile(f"{self.name} could not be read as {kind}-separated text: {detail}.")


def _skip(row: Any) -> str:
    return "skip"


class _ParquetSource:
    """Batches of a Parquet file as pandas reads the whole file: stored indexes become
    columns, and integer and boolean columns with nulls anywhere in the file come out as
    float64 and object in every batch, as they would from `read_parquet` of the file."""

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise parquet_error(self.name, exc) from exc
        self.total = max(1, self._file.metadata.num_rows)
        self.read = 0
        self.headers: list[Any] = []
        self.range_index = True
        self._nulls: dict[str, bool] = {}

    def __enter__(self) -> _ParquetSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()

    def fraction(self) -> float:
        return min(1.0, self.read / float(self.total))

    def finish(self) -> None:
        pass

    def frames(self) -> Iterator[pd.DataFrame]:
        batches = self._file.iter_batches(batch_size=PARQUET_BATCH_ROWS)
        while True:
            try:
                batch = next(batches)
                frame = batch.to_pandas()
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as exc:
                raise parquet_error(self.name, exc) from exc
            self.read += batch.num_rows
            if not isinstance(frame.index, pd.RangeIndex):
                self.range_index = False
                frame = frame.reset_index()
            frame = frame.reset_index(drop=True)
            for i, name in enumerate(frame.columns):  # by position: names may repeat
                dtype = frame.dtypes.iloc[i]
                numpy_int = ptypes.is_integer_dtype(dtype) and isinstance(dtype, np.dtype)
                numpy_bool = ptypes.is_bool_dtype(dtype) and isinstance(dtype, np.dtype)
                if (numpy_int or numpy_bool) and self._has_nulls(str(name)):
                    frame.isetitem(i, frame.iloc[:, i].astype("float64" if numpy_int else object))
            self.headers = list(frame.columns)
            frame.columns = pd.RangeIndex(frame.shape[1])
            yield frame

    def _has_nulls(self, column: str) -> bool:
        """From the row groups' statistics; counted from the column when they lack them.
        (Columns sharing a name are taken together: nulls in one count for all.)"""
        if column not in self._nulls:
            metadata = self._file.metadata
            leaves = [
                i for i in range(metadata.num_columns) if metadata.schema.column(i).path == column
            ]
            known, nulls = True, 0
            for group in range(metadata.num_row_groups):
                for leaf in leaves:
                    stats = metadata.row_group(group).column(leaf).statistics
                    if stats is None or not stats.has_null_count:
                        known = False
                    else:
                        nulls += stats.null_count
            if not known:
                nulls = sum(
                    batch.column(0).null_count
                    for batch in self._file.iter_batches(columns=[column])
                )
            # No leaf: a stored index, now a column, which is never null.
            self._nulls[column] = nulls > 0
        return self._nulls[column]


# ============================== progress ==============================


class _Ticker:
    """Calls `progress` at most once every PROGRESS_SECONDS, and once at the end."""

    def __init__(self, progress: Progress | None, name: str) -> None:
        self.progress, self.name = progress, name
        self.started = self.last = time.monotonic()

    def update(self, rows: int, fraction: float, doing: str | None = None) -> None:
        now = time.monotonic()
        if self.progress is None or now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        done = doing or f"{rows:,} rows"
        self.progress(f"Converting {self.name} to Parquet: {done}, {fraction:.0%} of the file")

    def done(self, rows: int, how: str) -> None:
        seconds = time.monotonic() - self.started
        log.info("ingest %s: %d rows %s in %.1f s", self.name, rows, how, seconds)
        if self.progress is not None:
            verb = "Converted" if how == "converted" else "Cached"
            self.progress(f"{verb} {self.name}: {rows:,} rows in {seconds:.1f} s")
