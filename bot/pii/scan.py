"""`threadlab pii scan`: what ingest would mask in a file, column by column, and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot.errors import FileMissing, IngestError
from bot.ingest.readers import read_table
from bot.ingest.sniff import check_magic, file_format
from bot.ingest.stream import SAMPLE_ROWS
from bot.ingest.types import infer_frame
from bot.pii.detect import ColumnDecision, classify_frame
from bot.pii.secret import installation_secret
from bot.pii.tokenise import Tokeniser, tokenise_frame
from bot.settings import MIB, Settings

PREVIEW_ROWS = 3


@dataclass(frozen=True)
class ColumnScan:
    decision: ColumnDecision
    preview: list[Any]  # the first values as the analysis would see them

    def to_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "column": d.column,
            "masked": d.pii_type is not None or d.free_text,
            "pii_type": d.pii_type,
            "free_text": d.free_text,
            "confidence": round(d.confidence, 3),
            "header_match": d.header_match,
            "validator_hits": d.validator_hits,
            "sampled": d.sampled,
            "reason": d.reason,
            "preview": self.preview,
        }


def sampled_rows(path: Path, settings: Settings) -> int | None:
    """The rows a scan reads: a large CSV or Parquet file's first SAMPLE_ROWS, the rows
    ingest decides its personal-data columns from; None (all) for other files."""
    large = path.stat().st_size > settings.stream_ingest_mb * MIB
    return SAMPLE_ROWS if large and file_format(path) in ("csv", "parquet") else None


def scan_file(path: Path, settings: Settings, sheet: str | None = None) -> list[ColumnScan]:
    """Reads the file as ingest does (without caching it) and reports each column."""
    if not path.is_file():
        raise FileMissing(f"{path.name} does not exist: there is no such file.")
    fmt = file_format(path)
    try:
        check_magic(path, fmt, path.stat().st_size)
        table = read_table(path, fmt, sheet, sampled_rows(path, settings))
    except OSError as exc:
        raise IngestError(f"{path.name} could not be read: {exc.strerror or exc}.") from exc
    frame, kinds = infer_frame(table.frame)
    decisions = classify_frame(frame)
    head = frame.head(PREVIEW_ROWS)
    tokeniser = Tokeniser(installation_secret(settings.resolved_data_dir().absolute()))
    masked = tokenise_frame(head, kinds, decisions, tokeniser).frame
    return [
        ColumnScan(d, [None if pd.isna(v) else str(v) for v in masked[d.column].tolist()])
        for d in decisions
    ]
